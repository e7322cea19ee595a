// The controller's shell: its stores (Services, Namespaces, IPAddressPools) feed the allocator;
// what to write for a Service and for a pool comes from pure functions (service-writes.ts,
// pool-status.ts, the model); the writes go through the ClusterWriter.
import type { V1Namespace, V1Service } from "@kubernetes/client-node";
import {
  IPAddressPoolKind,
  type IPAddressPoolSpec,
  type IPAddressPoolStatus,
} from "../../api/kinds/ipaddresspool.js";
import { apiVersionOf } from "../../api/kinds/kind.js";
import { ConfigurationStateKind } from "../../api/kinds/status-kinds.js";
import type { ConfigurationStateStatus } from "../../api/kinds/status-kinds.js";
import { parseIp, type Ip } from "../../api/formats/ip.js";
import { REASON } from "../../api/reasons.js";
import { ADDRESSES_CONDITION, ANNOTATION } from "../../api/service.js";
import { mapBounded } from "../../lib/bounded.js";
import { formatField, parseConfig, serviceKey, type Problem } from "../../model/index.js";
import { configurationState } from "../kube/configuration-state.js";
import { EventRecorder, serviceRef, type ObjectRef } from "../kube/events.js";
import { startAll, stopAll, type Store } from "../kube/store.js";
import type { ConfigObject } from "../kube/stores.js";
import { writeStatusObject, type ClusterWriter } from "../kube/writer.js";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics/controller-metrics.js";
import {
  Allocator,
  type PoolUsage,
  type Refusal,
  type Result,
  type ServiceRequest,
} from "./allocator/allocator.js";
import { poolStatus } from "./pool-status.js";
import { toRequest } from "./service-request.js";
import { serviceWrites, statusIps } from "./service-writes.js";

/** The ConfigurationState object the controller reports its verdict on the configuration in. */
export const CONFIGURATION_STATE_NAME = "controller";

export interface ControllerStores {
  services: Store<V1Service>;
  namespaces: Store<V1Namespace>;
  pools: Store<ConfigObject<IPAddressPoolSpec> & { status?: IPAddressPoolStatus }>;
}

export interface ControllerOptions {
  stores: ControllerStores;
  writer: ClusterWriter;
  /** Where the configuration (IPAddressPools) lives. */
  namespace: string;
  lbClass?: string;
  log: Logger;
  metrics?: ControllerMetrics;
}

/** API writes in flight at once while draining the queue. */
const WRITERS = 16;

const creation = (svc: V1Service): number =>
  new Date(svc.metadata?.creationTimestamp ?? 0).getTime();

export class Controller {
  private readonly alloc = new Allocator();
  private readonly events: EventRecorder;
  private readonly queue = new Set<string>();
  /** Pool status last written, by pool name, to skip writes that change nothing. */
  private readonly poolStatus = new Map<string, { status: IPAddressPoolStatus; text: string }>();
  /** Problems found in each pool (invalid entries, overlaps), by pool name. */
  private poolProblems = new Map<string, string[]>();
  private problems: Problem[] = [];
  /** An IPAddressPool has existed since start (see mayClear). */
  private sawPools = false;
  private configState: { status: ConfigurationStateStatus; text: string } | undefined;
  /**
   * Service fields written but not yet seen in the store (its watch lags the write's response):
   * the value the store showed then and the value written, by "key\0field". Without this, a
   * Service re-queued by its own status update would be written again from the stale cache.
   */
  private readonly unseen = new Map<string, { from: string; to: string }>();
  private draining: Promise<void> | undefined;
  private stopped = false;
  /** True once every existing assignment is restored and the first pass has run. */
  private synced = false;

  constructor(private readonly opts: ControllerOptions) {
    this.events = new EventRecorder(opts.writer, "metallb-controller", opts.log);
  }

  private get stores(): ControllerStores {
    return this.opts.stores;
  }

  /** Loads everything, claims existing assignments, then assigns the rest and keeps watching. */
  async start(): Promise<void> {
    const { services, namespaces, pools } = this.stores;
    await startAll([pools, namespaces, services]);
    this.syncPools();
    this.restore();
    services.on("add", (s) => this.enqueue(serviceKey(s)));
    services.on("update", (s) => this.enqueue(serviceKey(s)));
    services.on("delete", (s) => this.onDelete(s));
    for (const ev of ["add", "update", "delete"] as const) {
      pools.on(ev, () => {
        this.syncPools();
        this.enqueueAll();
      });
      namespaces.on(ev, (ns) => this.enqueueNamespace(ns.metadata?.name ?? ""));
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
    const { services, namespaces, pools } = this.stores;
    await stopAll([services, namespaces, pools]);
    await this.draining;
  }

  /** Whether Services are queued or being reconciled. */
  busy(): boolean {
    return this.queue.size > 0 || this.draining !== undefined;
  }

  /** Waits until every queued Service has been reconciled and the statuses written. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private syncPools(): void {
    const objects = this.stores.pools.list();
    const config = parseConfig(
      {
        pools: objects.map((o) => ({
          name: o.metadata?.name ?? "",
          ...(o.metadata?.labels ? { labels: o.metadata.labels } : {}),
          spec: o.spec,
        })),
      },
      { namespace: this.opts.namespace },
    );
    this.problems = config.problems.filter(
      (p) => p.kind === "IPAddressPool" && p.severity === "error",
    );
    const problems = new Map<string, string[]>();
    for (const p of this.problems) {
      const line = `${formatField(p.field)}: ${p.message}`;
      problems.set(p.name, [...(problems.get(p.name) ?? []), line]);
    }
    this.poolProblems = problems;
    if (objects.length) this.sawPools = true;
    for (const [name, msgs] of problems) {
      this.opts.log.warn("IPAddressPool has problems", { pool: name, problems: msgs });
      void this.events.record(
        this.poolRef(name),
        "Warning",
        REASON.invalidConfiguration,
        msgs.join("; "),
      );
    }
    // Invalid pools are left out; overlapping ones stay usable (no address is handed out twice).
    for (const key of this.alloc.setPools(config.pools)) this.enqueue(key);
  }

  private poolRef(name: string): ObjectRef {
    const obj = this.stores.pools.get(name, this.opts.namespace);
    return {
      apiVersion: apiVersionOf(IPAddressPoolKind),
      kind: IPAddressPoolKind.kind,
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
  private decide(
    key: string,
    svc: V1Service,
    req: ServiceRequest,
  ): { result: Result; cleared?: Refusal } {
    const parsed = statusIps(svc).map(parseIp);
    const recorded = parsed.length && parsed.every((i) => i) ? (parsed as Ip[]) : [];
    // Why what the Service shows is not valid any more, judged before anything moves.
    const cleared = recorded.length ? this.alloc.refusal(req, recorded) : undefined;
    if (!this.alloc.assignment(key) && recorded.length && !cleared) {
      const claimed = this.alloc.claim(req, recorded);
      if (claimed.ok) return { result: claimed };
    }
    return { result: this.alloc.assign(req), ...(cleared ? { cleared } : {}) };
  }

  /** Claims the addresses recorded in Service statuses, oldest Service first. */
  private restore(): void {
    const all = [...this.stores.services.list()].sort(
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
    return this.stores.namespaces.get(svc.metadata?.namespace ?? "")?.metadata?.labels ?? {};
  }

  private enqueue(key: string): void {
    this.queue.add(key);
    void this.drain();
  }

  private enqueueAll(): void {
    for (const s of this.stores.services.list()) this.queue.add(serviceKey(s));
    void this.drain();
  }

  private enqueueNamespace(ns: string): void {
    for (const s of this.stores.services.list(ns)) this.queue.add(serviceKey(s));
    void this.drain();
  }

  private onDelete(svc: V1Service): void {
    const key = serviceKey(svc);
    const had = this.alloc.assignment(key);
    this.alloc.release(key);
    this.events.forget(serviceRef(svc));
    this.unseen.delete(`${key}\u0000ingress`);
    this.unseen.delete(`${key}\u0000pool`);
    // Freed addresses may let waiting Services in.
    if (had) this.enqueuePending();
  }

  private enqueuePending(): void {
    for (const s of this.stores.services.list()) {
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
      // Yield first: a reconcile that enqueues synchronously must find this loop already
      // registered, or it would start a second loop working the same keys.
      await Promise.resolve();
      try {
        while (this.queue.size && !this.stopped) {
          const batch = [...this.queue].sort();
          this.queue.clear();
          await mapBounded(batch, WRITERS, (key) =>
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
    const svc = this.stores.services.get(name, namespace);
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
      // No longer a LoadBalancer: what we wrote goes, silently (upstream). Another class's
      // Services are not ours to touch.
      if (svc.spec?.type !== "LoadBalancer") await this.clearService(key, svc);
      return;
    }
    // Decide before the first await: the order of decisions is the order of the batch.
    const decided = verdict.kind === "invalid" ? undefined : this.decide(key, svc, verdict.request);
    const result = decided?.result;
    const ref = serviceRef(svc);
    const { writer } = this.opts;
    const shown = {
      ingress: statusIps(svc).join(","),
      pool: svc.metadata?.annotations?.[ANNOTATION.allocatedFromPool] ?? "",
    };
    const ctx = {
      mayClear: this.mayClear(),
      noPools: this.alloc.poolCount() === 0,
      ...(decided?.cleared ? { cleared: decided.cleared } : {}),
    };
    for (const w of serviceWrites(svc, key, verdict, result, ctx)) {
      if (w.kind === "ingress") {
        const to = w.ips.join(",");
        if (this.alreadyWritten(key, "ingress", shown.ingress, to)) continue;
        await writer.serviceIngress(namespace, name, w.ips);
        this.unseen.set(`${key}\u0000ingress`, { from: shown.ingress, to });
        if (w.ips.length && result?.ok)
          this.opts.log.info("assigned", {
            service: key,
            ips: w.ips,
            pool: result.assignment.pool,
          });
      } else if (w.kind === "poolAnnotation") {
        const to = w.pool ?? "";
        if (this.alreadyWritten(key, "pool", shown.pool, to)) continue;
        await writer.serviceAnnotations(namespace, name, {
          [ANNOTATION.allocatedFromPool]: w.pool,
        });
        this.unseen.set(`${key}\u0000pool`, { from: shown.pool, to });
      } else if (w.kind === "condition") {
        const before = svc.status?.conditions?.find((c) => c.type === ADDRESSES_CONDITION);
        await writer.serviceCondition(namespace, name, {
          type: ADDRESSES_CONDITION,
          status: w.status,
          reason: w.reason,
          message: w.message,
          lastTransitionTime:
            before?.status === w.status && before.lastTransitionTime
              ? new Date(before.lastTransitionTime).toISOString()
              : new Date().toISOString(),
          ...(svc.metadata?.generation ? { observedGeneration: svc.metadata.generation } : {}),
        });
      } else {
        const recorded = await this.events.record(ref, w.type, w.reason, w.message);
        if (recorded && w.failure !== undefined) {
          this.opts.log.warn("allocation failed", { service: key, reason: w.message });
          this.opts.metrics?.allocationFailures.inc({ reason: w.failure });
        }
      }
    }
  }

  /** Takes our address and pool annotation off a Service that is no longer a LoadBalancer. */
  private async clearService(key: string, svc: V1Service): Promise<void> {
    const [namespace = "", name = ""] = key.split("/");
    const shown = {
      ingress: statusIps(svc).join(","),
      pool: svc.metadata?.annotations?.[ANNOTATION.allocatedFromPool] ?? "",
    };
    if (!shown.pool) return;
    if (shown.ingress && !this.alreadyWritten(key, "ingress", shown.ingress, "")) {
      await this.opts.writer.serviceIngress(namespace, name, []);
      this.unseen.set(`${key}\u0000ingress`, { from: shown.ingress, to: "" });
    }
    if (!this.alreadyWritten(key, "pool", shown.pool, "")) {
      await this.opts.writer.serviceAnnotations(namespace, name, {
        [ANNOTATION.allocatedFromPool]: null,
      });
      this.unseen.set(`${key}\u0000pool`, { from: shown.pool, to: "" });
    }
  }

  /**
   * Whether `wanted` was written already and the store just does not show it yet. Once the store
   * shows the written value, or a value nobody here wrote (a user's edit), it is the truth again.
   */
  private alreadyWritten(key: string, field: string, shown: string, wanted: string): boolean {
    const k = `${key}\u0000${field}`;
    const u = this.unseen.get(k);
    if (!u) return false;
    if (shown !== u.from) {
      this.unseen.delete(k);
      return false;
    }
    return u.to === wanted;
  }

  /**
   * Whether a recorded address that no pool allows may be cleared. Not while no usable pool
   * exists because the configuration has not arrived yet (GitOps applies pools after the
   * controller) or every pool is invalid (one bad edit): the Service gets the address back once
   * a pool holds it. Pools the user deleted, though, take their addresses with them (upstream).
   */
  private mayClear(): boolean {
    return this.alloc.poolCount() > 0 || (this.stores.pools.list().length === 0 && this.sawPools);
  }

  private async writePoolStatuses(): Promise<void> {
    const now = new Date().toISOString();
    for (const obj of this.stores.pools.list()) {
      const name = obj.metadata?.name ?? "";
      const u = this.alloc.usage(name);
      const before = this.poolStatus.get(name)?.status ?? obj.status;
      const status = poolStatus(u, this.poolProblems.get(name) ?? [], before, now);
      this.recordPoolMetrics(name, u);
      const text = JSON.stringify(status);
      if (this.poolStatus.get(name)?.text === text) continue;
      try {
        await this.opts.writer.patchStatus(IPAddressPoolKind, this.opts.namespace, name, status);
        this.poolStatus.set(name, { status, text });
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
    const live = new Set(this.stores.pools.list().map((p) => p.metadata?.name ?? ""));
    for (const name of this.poolStatus.keys()) if (!live.has(name)) this.poolStatus.delete(name);
    const m = this.opts.metrics;
    if (!m) return;
    for (const metric of [m.addressesInUse, m.addressesTotal, m.poolProblems])
      metric.retain((l) => live.has(l.pool ?? ""));
    m.configStale.set({}, this.poolProblems.size ? 1 : 0);
  }

  /** ConfigurationState "controller": Valid, or Invalid with every problem listed. */
  private async writeConfigurationState(): Promise<void> {
    const status = configurationState(
      this.problems,
      this.configState?.status,
      new Date(),
      "every IPAddressPool was applied",
    );
    const text = JSON.stringify(status);
    if (text === this.configState?.text) return;
    try {
      await writeStatusObject(
        this.opts.writer,
        ConfigurationStateKind,
        { namespace: this.opts.namespace, name: CONFIGURATION_STATE_NAME },
        status,
      );
      this.configState = { status, text };
    } catch (err) {
      this.opts.log.warn("could not write ConfigurationState", { error: String(err) });
    }
  }
}
