// The controller's shell: watches Services, Namespaces and IPAddressPools, feeds the allocator,
// and writes the outcome to Service status, the ip-allocated-from-pool annotation and Events.
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Namespace,
  type V1Service,
} from "@kubernetes/client-node";
import type { IPAddressPoolSpec } from "../../api/kinds/ipaddresspool.js";
import { formatIp, parseIp, type Ip } from "../../api/formats/ip.js";
import { writeStatusObject } from "../kube/status-object.js";
import { EventRecorder, serviceRef, type ObjectRef } from "../kube/events.js";
import type { Logger } from "../log.js";
import { startWithRetry, type Watched } from "../kube/informers.js";
import type { ControllerMetrics } from "../metrics/controller-metrics.js";
import {
  Allocator,
  type PoolUsage,
  type Result,
  type ServiceRequest,
} from "./allocator/allocator.js";
import { ANNOTATION } from "../../api/service.js";
import { formatField, parseConfig, serviceKey } from "../../model/index.js";
import { toRequest } from "./service-request.js";

/** The ConfigurationState object the controller reports its verdict on the configuration in. */
export const CONFIGURATION_STATE_NAME = "controller";

export interface ControllerOptions {
  kc: KubeConfig;
  /** Where the configuration (IPAddressPools) lives. */
  namespace: string;
  lbClass?: string;
  log: Logger;
  metrics?: ControllerMetrics;
}

interface PoolObject extends KubernetesObject {
  spec: IPAddressPoolSpec;
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

const statusIps = (svc: V1Service): string[] =>
  (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "").filter(Boolean);

/** API writes in flight at once while draining the queue. */
const WRITERS = 16;

/** Runs fn over items, at most `limit` at a time, starting them in order. */
async function bounded<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const creation = (svc: V1Service): number =>
  new Date(svc.metadata?.creationTimestamp ?? 0).getTime();

export class ServiceController {
  private readonly alloc = new Allocator();
  private readonly core: CoreV1Api;
  private readonly events: EventRecorder;
  private readonly services: Watched<V1Service>;
  private readonly namespaces: Watched<V1Namespace>;
  private readonly pools: Watched<PoolObject>;
  private readonly queue = new Set<string>();
  private readonly custom: CustomObjectsApi;
  /** Pool status last written, by pool name, to skip writes that change nothing. */
  private readonly poolStatus = new Map<string, string>();
  /** Problems found in each pool (invalid entries, overlaps), by pool name. */
  private poolProblems = new Map<string, string[]>();
  /** An IPAddressPool has existed since start (see mayClear). */
  private sawPools = false;
  /** When each pool's Valid condition last changed, by pool name. */
  private readonly validSince = new Map<string, { valid: boolean; since: string }>();
  private lastSummary: string | undefined;
  private draining: Promise<void> | undefined;
  private stopped = false;
  /** True once every existing assignment is restored and the first pass has run. */
  private synced = false;

  constructor(private readonly opts: ControllerOptions) {
    const { kc, namespace } = opts;
    this.core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    this.custom = custom;
    this.events = new EventRecorder(kc, "metallb-controller", opts.log);
    this.services = makeInformer(kc, "/api/v1/services", () =>
      this.core.listServiceForAllNamespaces(),
    );
    this.namespaces = makeInformer(kc, "/api/v1/namespaces", () => this.core.listNamespace());
    this.pools = makeInformer(
      kc,
      `/apis/metallb.io/v1beta1/namespaces/${namespace}/ipaddresspools`,
      () =>
        custom.listNamespacedCustomObject({
          group: "metallb.io",
          version: "v1beta1",
          namespace,
          plural: "ipaddresspools",
        }) as Promise<KubernetesListObject<PoolObject>>,
    );
  }

  /** Loads everything, claims existing assignments, then assigns the rest and keeps watching. */
  async start(): Promise<void> {
    for (const inf of [this.pools, this.namespaces, this.services] as Watched<KubernetesObject>[]) {
      inf.on("error", (err: unknown) => {
        if (this.stopped) return;
        this.opts.log.warn("watch failed; restarting it", { error: String(err) });
        setTimeout(() => void inf.start().catch(() => undefined), 1000);
      });
      await startWithRetry(inf, this.opts.log, () => this.stopped);
    }
    this.syncPools();
    this.restore();
    this.services.on("add", (s) => this.enqueue(serviceKey(s)));
    this.services.on("update", (s) => this.enqueue(serviceKey(s)));
    this.services.on("delete", (s) => this.onDelete(s));
    for (const ev of ["add", "update", "delete"] as const) {
      this.pools.on(ev, () => {
        this.syncPools();
        this.enqueueAll();
      });
      this.namespaces.on(ev, (ns) => this.enqueueNamespace(ns.metadata?.name ?? ""));
    }
    this.enqueueAll();
    await this.drain();
    this.synced = true;
    this.opts.metrics?.configLoaded.set({}, 1);
  }

  /** Whether the initial sync is done (readiness). */
  isSynced(): boolean {
    return this.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const inf of [this.services, this.namespaces, this.pools] as Watched<KubernetesObject>[]) {
      await inf.stop();
    }
    await this.draining;
  }

  private syncPools(): void {
    const config = parseConfig(
      {
        pools: this.pools.list().map((o) => ({
          name: o.metadata?.name ?? "",
          ...(o.metadata?.labels ? { labels: o.metadata.labels } : {}),
          spec: o.spec,
        })),
      },
      { namespace: this.opts.namespace },
    );
    const pools = config.pools;
    const problems = new Map<string, string[]>();
    for (const p of config.problems) {
      if (p.kind !== "IPAddressPool" || p.severity !== "error") continue;
      const line = `${formatField(p.field)}: ${p.message}`;
      problems.set(p.name, [...(problems.get(p.name) ?? []), line]);
    }
    this.poolProblems = problems;
    if (this.pools.list().length) this.sawPools = true;
    for (const [name, msgs] of problems) {
      this.opts.log.warn("IPAddressPool has problems", { pool: name, problems: msgs });
      void this.events.record(
        this.poolRef(name),
        "Warning",
        "InvalidConfiguration",
        msgs.join("; "),
      );
    }
    // Invalid pools are left out; overlapping ones stay usable (no address is handed out twice).
    for (const key of this.alloc.setPools(pools)) this.enqueue(key);
  }

  private poolRef(name: string): ObjectRef {
    const obj = this.pools.get(name, this.opts.namespace);
    return {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      namespace: this.opts.namespace,
      name,
      ...(obj?.metadata?.uid ? { uid: obj.metadata.uid } : {}),
    };
  }

  /**
   * The allocation for a Service: its current one if still valid; else, for a Service that holds
   * none yet, the addresses recorded in its status when a pool allows them (so that pools
   * appearing after the controller started do not renumber Services); else the lowest free.
   */
  private decide(key: string, svc: V1Service, req: ServiceRequest): Result {
    if (!this.alloc.assignment(key)) {
      const recorded = statusIps(svc).map(parseIp);
      if (recorded.length && recorded.every((i) => i)) {
        const claimed = this.alloc.claim(req, recorded as Ip[]);
        if (claimed.ok) return claimed;
      }
    }
    return this.alloc.assign(req);
  }

  /** Claims the addresses recorded in Service statuses, oldest Service first. */
  private restore(): void {
    const all = [...this.services.list()].sort(
      (a, b) => creation(a) - creation(b) || (serviceKey(a) < serviceKey(b) ? -1 : 1),
    );
    for (const svc of all) {
      const verdict = toRequest(svc, this.namespaceLabels(svc), this.opts.lbClass);
      const ips = statusIps(svc).map(parseIp);
      if (verdict.kind !== "request" || !ips.length || ips.some((i) => !i)) continue;
      const r = this.alloc.claim(verdict.request, ips as Ip[]);
      if (!r.ok)
        this.opts.log.info("recorded address is no longer valid", {
          service: serviceKey(svc),
          reason: r.message,
        });
    }
  }

  private namespaceLabels(svc: V1Service): Record<string, string> {
    return this.namespaces.get(svc.metadata?.namespace ?? "")?.metadata?.labels ?? {};
  }

  private enqueue(key: string): void {
    this.queue.add(key);
    void this.drain();
  }

  private enqueueAll(): void {
    for (const s of this.services.list()) this.queue.add(serviceKey(s));
    void this.drain();
  }

  private enqueueNamespace(ns: string): void {
    for (const s of this.services.list(ns)) this.queue.add(serviceKey(s));
    void this.drain();
  }

  private onDelete(svc: V1Service): void {
    const key = serviceKey(svc);
    const had = this.alloc.assignment(key);
    this.alloc.release(key);
    this.events.forget(serviceRef(svc));
    // Freed addresses may let waiting Services in.
    if (had) this.enqueuePending();
  }

  private enqueuePending(): void {
    for (const s of this.services.list()) {
      if (!this.alloc.assignment(serviceKey(s))) this.queue.add(serviceKey(s));
    }
    void this.drain();
  }

  /**
   * Processes the queue in batches: each batch in key order, up to WRITERS Services at a time.
   * Allocation happens synchronously at the start of each reconcile, so the order of decisions
   * (and with it every address) stays deterministic while the API writes overlap.
   */
  private drain(): Promise<void> {
    this.draining ??= (async () => {
      try {
        while (this.queue.size && !this.stopped) {
          const batch = [...this.queue].sort();
          this.queue.clear();
          await bounded(batch, WRITERS, (key) =>
            this.reconcile(key).catch((err: unknown) => {
              this.opts.log.error("reconcile failed; will retry", {
                service: key,
                error: String(err),
              });
              setTimeout(() => this.enqueue(key), 1000);
            }),
          );
        }
        if (!this.stopped) await this.writePoolStatuses();
      } finally {
        this.draining = undefined;
      }
      // Keys enqueued while the loop was finishing (e.g. during the status writes) would
      // otherwise wait for the next event.
      if (this.queue.size && !this.stopped) void this.drain();
    })();
    return this.draining;
  }

  private async reconcile(key: string): Promise<void> {
    const [namespace = "", name = ""] = key.split("/");
    const svc = this.services.get(name, namespace);
    if (!svc) {
      this.alloc.release(key);
      return;
    }
    const verdict = toRequest(svc, this.namespaceLabels(svc), this.opts.lbClass);
    if (verdict.kind === "ignore") {
      if (this.alloc.assignment(key)) {
        this.alloc.release(key);
        this.enqueuePending();
      }
      return;
    }
    const ref = serviceRef(svc);
    // Decide before the first await: the order of decisions is the order of the batch.
    const result = verdict.kind === "invalid" ? undefined : this.decide(key, svc, verdict.request);
    for (const w of verdict.warnings)
      await this.events.record(ref, "Warning", "deprecatedAnnotation", w);
    if (result?.ok) {
      const ips = result.assignment.ips.map(formatIp);
      if (ips.join(",") !== statusIps(svc).join(",")) {
        await this.writeStatus(svc, ips);
        await this.events.record(
          ref,
          "Normal",
          "IPAllocated",
          `Assigned IP ${JSON.stringify(ips)}`,
        );
        this.opts.log.info("assigned", { service: key, ips, pool: result.assignment.pool });
      }
      if (svc.metadata?.annotations?.[ANNOTATION.allocatedFromPool] !== result.assignment.pool) {
        await this.writePoolAnnotation(svc, result.assignment.pool);
      }
      return;
    }
    const why =
      verdict.kind === "invalid" ? verdict.message : result && !result.ok ? result.message : "";
    const reason =
      verdict.kind === "invalid" ? "InvalidRequest" : result && !result.ok ? result.reason : "";
    const recorded = await this.events.record(
      ref,
      "Warning",
      "AllocationFailed",
      `Failed to allocate IP for "${key}": ${why}`,
    );
    if (recorded) {
      this.opts.log.warn("allocation failed", { service: key, reason: why });
      this.opts.metrics?.allocationFailures.inc({ reason });
    }
    if (statusIps(svc).length && this.mayClear()) {
      await this.writeStatus(svc, []);
      await this.writePoolAnnotation(svc, null);
      await this.events.record(
        ref,
        "Warning",
        "ClearAssignment",
        `Cleared the previous assignment: ${why}`,
      );
    }
  }

  /**
   * Whether a recorded address that no pool allows may be cleared. Not while no usable pool
   * exists because the configuration has not arrived yet (GitOps applies pools after the
   * controller) or every pool is invalid (one bad edit): the Service gets the address back once
   * a pool holds it. Pools the user deleted, though, take their addresses with them (upstream).
   */
  private mayClear(): boolean {
    return this.alloc.poolCount() > 0 || (this.pools.list().length === 0 && this.sawPools);
  }

  /** The Valid condition of a pool; its transition time moves only when its status flips. */
  private validCondition(name: string): object {
    const problems = this.poolProblems.get(name) ?? [];
    const valid = problems.length === 0;
    const prev = this.validSince.get(name);
    const since = prev && prev.valid === valid ? prev.since : new Date().toISOString();
    this.validSince.set(name, { valid, since });
    return {
      type: "Valid",
      status: valid ? "True" : "False",
      reason: valid ? "Valid" : "InvalidConfiguration",
      message: valid ? "no conflict with other pools" : problems.join("; "),
      lastTransitionTime: since,
    };
  }

  private async writePoolStatuses(): Promise<void> {
    const cap = (n: bigint) =>
      Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : n);
    for (const obj of this.pools.list()) {
      const name = obj.metadata?.name ?? "";
      const u = this.alloc.usage(name);
      const status = {
        ...(u
          ? {
              assignedIPv4: u.assignedIPv4,
              assignedIPv6: u.assignedIPv6,
              availableIPv4: cap(u.availableIPv4),
              availableIPv6: cap(u.availableIPv6),
            }
          : {}),
        conditions: [this.validCondition(name)],
      };
      this.recordPoolMetrics(name, u);
      const text = JSON.stringify(status);
      if (this.poolStatus.get(name) === text) continue;
      try {
        await this.custom.patchNamespacedCustomObjectStatus(
          { ...this.configTarget("ipaddresspools"), name, body: { status } },
          mergePatch,
        );
        this.poolStatus.set(name, text);
      } catch (err) {
        this.opts.log.warn("could not write pool status", { pool: name, error: String(err) });
      }
    }
    this.forgetDeletedPools();
    await this.writeConfigurationState();
  }

  private recordPoolMetrics(pool: string, u: PoolUsage | undefined): void {
    const m = this.opts.metrics;
    if (!m) return;
    m.poolProblems.set({ pool }, this.poolProblems.get(pool)?.length ?? 0);
    if (!u) return;
    m.addressesInUse.set({ pool }, u.assignedIPv4 + u.assignedIPv6);
    const total = u.availableIPv4 + u.availableIPv6 + BigInt(u.assignedIPv4 + u.assignedIPv6);
    m.addressesTotal.set({ pool }, Number(total));
  }

  private forgetDeletedPools(): void {
    const m = this.opts.metrics;
    if (!m) return;
    const live = new Set(this.pools.list().map((p) => p.metadata?.name ?? ""));
    for (const metric of [m.addressesInUse, m.addressesTotal, m.poolProblems])
      metric.retain((l) => live.has(l.pool ?? ""));
    m.configStale.set({}, this.poolProblems.size ? 1 : 0);
  }

  private configTarget(plural: string) {
    return { group: "metallb.io", version: "v1beta1", namespace: this.opts.namespace, plural };
  }

  /** ConfigurationState "controller": Valid, or Invalid with every problem listed. */
  private async writeConfigurationState(): Promise<void> {
    const problems = [...this.poolProblems]
      .sort()
      .map(([pool, msgs]) => `IPAddressPool ${pool}: ${msgs.join("; ")}`);
    const status = {
      result: problems.length ? "Invalid" : "Valid",
      errorSummary: problems.join("\n"),
    };
    const text = JSON.stringify(status);
    if (text === this.lastSummary) return;
    try {
      await writeStatusObject(
        this.custom,
        {
          namespace: this.opts.namespace,
          plural: "configurationstates",
          kind: "ConfigurationState",
          name: CONFIGURATION_STATE_NAME,
        },
        status,
      );
      this.lastSummary = text;
    } catch (err) {
      this.opts.log.warn("could not write ConfigurationState", { error: String(err) });
    }
  }

  private async writeStatus(svc: V1Service, ips: string[]): Promise<void> {
    await this.core.patchNamespacedServiceStatus(
      {
        name: svc.metadata?.name ?? "",
        namespace: svc.metadata?.namespace ?? "",
        body: {
          status: { loadBalancer: { ingress: ips.length ? ips.map((ip) => ({ ip })) : null } },
        },
      },
      mergePatch,
    );
  }

  private async writePoolAnnotation(svc: V1Service, pool: string | null): Promise<void> {
    await this.core.patchNamespacedService(
      {
        name: svc.metadata?.name ?? "",
        namespace: svc.metadata?.namespace ?? "",
        body: { metadata: { annotations: { [ANNOTATION.allocatedFromPool]: pool } } },
      },
      mergePatch,
    );
  }
}
