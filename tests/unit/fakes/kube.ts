// In-memory stand-ins for the API server, for the shells' fast tests: stores that behave like
// informer caches (change events on set/delete) and a writer that records every write and, like
// the API server, makes Service writes visible through the Service store. The real counterparts
// (InformerStore, KubeWriter) run in tests/kube and tests/net against kube-apiserver.
import type { KubernetesObject, V1Service } from "@kubernetes/client-node";
import type { KindDef } from "../../../src/api/kinds/kind.js";
import type { Logger } from "../../../src/runtime/log.js";
import type { Change, Store } from "../../../src/runtime/kube/store.js";
import type {
  ClusterWriter,
  EventRecord,
  ServiceCondition,
  StoredStatus,
} from "../../../src/runtime/kube/writer.js";

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

export class MemoryStore<T extends KubernetesObject> implements Store<T> {
  private readonly objects = new Map<string, T>();
  private readonly listeners: Record<Change, ((o: T) => void)[]> = {
    add: [],
    update: [],
    delete: [],
  };
  started = false;
  /** Set false to play a failed watch (the cache stops following the API server). */
  following = true;

  constructor(initial: T[] = []) {
    for (const o of initial) this.objects.set(keyOf(o), o);
  }

  list(namespace?: string): readonly T[] {
    return [...this.objects.values()].filter(
      (o) => namespace === undefined || o.metadata?.namespace === namespace,
    );
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(`${namespace ?? ""}/${name}`);
  }

  on(change: Change, fn: (obj: T) => void): void {
    this.listeners[change].push(fn);
  }

  synced(): boolean {
    return this.started && this.following;
  }

  start(): Promise<void> {
    this.started = true;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.started = false;
    return Promise.resolve();
  }

  /** Adds or replaces an object, as a watch event would. */
  set(o: T): void {
    const had = this.objects.has(keyOf(o));
    this.objects.set(keyOf(o), o);
    for (const fn of this.listeners[had ? "update" : "add"]) fn(o);
  }

  delete(name: string, namespace?: string): void {
    const o = this.get(name, namespace);
    if (!o) return;
    this.objects.delete(keyOf(o));
    for (const fn of this.listeners.delete) fn(o);
  }
}

export type Write =
  | { op: "ingress"; service: string; ips: readonly string[] }
  | { op: "annotations"; service: string; annotations: Record<string, string | null> }
  | { op: "condition"; service: string; condition: ServiceCondition }
  | { op: "status"; kind: string; name: string; status: object }
  | { op: "create"; kind: string; name: string; labels?: Record<string, string> }
  | { op: "delete"; kind: string; name: string };

export class RecordingWriter implements ClusterWriter {
  readonly writes: Write[] = [];
  readonly events: EventRecord[] = [];
  /** Status objects as stored, by "Kind/name". */
  readonly objects = new Map<string, { labels?: Record<string, string>; status?: object }>();

  /** `services`: the store the written Service fields show up in, as through a watch. */
  constructor(private readonly services?: MemoryStore<V1Service>) {}

  /** Watch events arrive after the write's response, as from a real API server. */
  private service(namespace: string, name: string, edit: (s: V1Service) => V1Service): void {
    const store = this.services;
    if (!store) return;
    if (!store.get(name, namespace)) return;
    // The API server applies writes in order; the store sees each result a little later.
    this.inFlight++;
    setTimeout(() => {
      this.inFlight--;
      const now = store.get(name, namespace);
      if (now) store.set(edit(structuredClone(now)));
    }, this.watchLagMs);
  }

  private inFlight = 0;
  /** How long a written Service takes to show up in the store. */
  watchLagMs = 5;

  busy(): boolean {
    return this.inFlight > 0;
  }

  /** Resolves once every written Service has shown up in the store. */
  async delivered(): Promise<void> {
    while (this.inFlight) await new Promise((r) => setTimeout(r, this.watchLagMs));
  }

  serviceIngress(namespace: string, name: string, ips: readonly string[]): Promise<void> {
    this.writes.push({ op: "ingress", service: `${namespace}/${name}`, ips });
    this.service(namespace, name, (s) => ({
      ...s,
      status: { loadBalancer: ips.length ? { ingress: ips.map((ip) => ({ ip })) } : {} },
    }));
    return Promise.resolve();
  }

  serviceCondition(namespace: string, name: string, condition: ServiceCondition): Promise<void> {
    this.writes.push({ op: "condition", service: `${namespace}/${name}`, condition });
    this.service(namespace, name, (s) => ({
      ...s,
      status: {
        ...s.status,
        conditions: [
          ...(s.status?.conditions ?? []).filter((c) => c.type !== condition.type),
          { ...condition, lastTransitionTime: new Date(condition.lastTransitionTime) },
        ],
      },
    }));
    return Promise.resolve();
  }

  serviceAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ): Promise<void> {
    this.writes.push({ op: "annotations", service: `${namespace}/${name}`, annotations });
    this.service(namespace, name, (s) => {
      const merged: Record<string, string> = { ...s.metadata?.annotations };
      for (const [k, v] of Object.entries(annotations))
        if (v === null) delete merged[k];
        else merged[k] = v;
      return { ...s, metadata: { ...s.metadata, annotations: merged } };
    });
    return Promise.resolve();
  }

  patchStatus(def: KindDef, _ns: string, name: string, status: object): Promise<void> {
    this.writes.push({ op: "status", kind: def.kind, name, status });
    const key = `${def.kind}/${name}`;
    this.objects.set(key, { ...this.objects.get(key), status });
    return Promise.resolve();
  }

  createStatusObject(
    def: KindDef,
    _ns: string,
    name: string,
    labels?: Record<string, string>,
  ): Promise<void> {
    this.writes.push({ op: "create", kind: def.kind, name, ...(labels ? { labels } : {}) });
    const key = `${def.kind}/${name}`;
    if (!this.objects.has(key)) this.objects.set(key, labels ? { labels } : {});
    return Promise.resolve();
  }

  deleteObject(def: KindDef, _ns: string, name: string): Promise<void> {
    this.writes.push({ op: "delete", kind: def.kind, name });
    this.objects.delete(`${def.kind}/${name}`);
    return Promise.resolve();
  }

  listStatuses(def: KindDef, _ns: string, labelSelector: string): Promise<StoredStatus[]> {
    const [k, v] = labelSelector.split("=");
    const found = [...this.objects]
      .filter(([key, o]) => key.startsWith(`${def.kind}/`) && k && o.labels?.[k] === v)
      .map(([key, o]) => ({
        name: key.slice(def.kind.length + 1),
        ...(o.status ? { status: o.status as Record<string, unknown> } : {}),
      }));
    return Promise.resolve(found);
  }

  event(e: EventRecord): Promise<void> {
    this.events.push(e);
    return Promise.resolve();
  }

  /** The status last written to a metallb.io object. */
  status<S = Record<string, unknown>>(kind: string, name: string): S | undefined {
    return this.objects.get(`${kind}/${name}`)?.status as S | undefined;
  }

  reasons(kind?: string): string[] {
    return this.events.filter((e) => !kind || e.ref.kind === kind).map((e) => e.reason);
  }
}

export const quietLog: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
