// The speaker's shell: its stores feed the pure decisions of one pass (pass-plan.ts); the plan
// goes to the announcing drivers, and what they did to the reports (report-plan.ts,
// status-plan.ts, the ConfigurationState) written through the ClusterWriter. API traffic grows
// with nodes (one Lease each), never with Services.
import { performance } from "node:perf_hooks";
import type {
  KubernetesObject,
  V1EndpointSlice,
  V1Lease,
  V1Node,
  V1Secret,
  V1Service,
} from "@kubernetes/client-node";
import type { BFDProfileSpec } from "../../api/kinds/bfdprofile.js";
import type { BGPAdvertisementSpec } from "../../api/kinds/bgpadvertisement.js";
import type { BGPPeerSpec } from "../../api/kinds/bgppeer.js";
import type { CommunitySpec } from "../../api/kinds/community.js";
import type { IPAddressPoolSpec } from "../../api/kinds/ipaddresspool.js";
import type { L2AdvertisementSpec } from "../../api/kinds/l2advertisement.js";
import {
  ConfigurationStateKind,
  ServiceBGPStatusKind,
  ServiceL2StatusKind,
  type ConfigurationStateStatus,
} from "../../api/kinds/status-kinds.js";
import type { KindDef } from "../../api/kinds/kind.js";
import type { Problem } from "../../model/index.js";
import { configurationState } from "../kube/configuration-state.js";
import { EventRecorder } from "../kube/events.js";
import { startAll, stopAll, type Store } from "../kube/store.js";
import type { ConfigObject } from "../kube/stores.js";
import { writeStatusObject, type ClusterWriter } from "../kube/writer.js";
import type { Logger } from "../log.js";
import type { PeerContext, SecretFacts } from "./bgp-peer-config.js";
import type { AddressProblem, ClusterSnapshot } from "./cluster-view.js";
import type { BgpDriver, L2Driver } from "./drivers.js";
import { LeaseLiveness, liveNodes } from "./liveness.js";
import { leaseFacts, type LeaseFacts } from "./node-lease.js";
import { announced, planPass, type Announcement, type PassPlan } from "./pass-plan.js";
import { reportEvents, speakerConditions } from "./report-plan.js";
import {
  bgpStatuses,
  l2Statuses,
  planStatuses,
  stampStatusConditions,
  STATUS_LABELS,
  type L2AddressOutcome,
  type StatusObject,
} from "./status-plan.js";

export type { Announcement } from "./pass-plan.js";
export type { BgpDriver, L2Driver } from "./drivers.js";

export interface SpeakerStores {
  nodes: Store<V1Node>;
  services: Store<V1Service>;
  endpointSlices: Store<V1EndpointSlice>;
  leases: Store<V1Lease>;
  /** Only TCP MD5 keys (passwordSecret): basic-auth Secrets of the runtime namespace. */
  secrets: Store<V1Secret>;
  pools: Store<ConfigObject<IPAddressPoolSpec>>;
  l2Advertisements: Store<ConfigObject<L2AdvertisementSpec>>;
  bgpAdvertisements: Store<ConfigObject<BGPAdvertisementSpec>>;
  bgpPeers: Store<ConfigObject<BGPPeerSpec>>;
  communities: Store<ConfigObject<CommunitySpec>>;
  bfdProfiles: Store<ConfigObject<BFDProfileSpec>>;
}

/** This node's own speaker Lease: renewed while the speaker runs, deleted when it stops. */
export interface OwnLease {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether it was renewed recently, i.e. this speaker reaches the API server (monotonic ms). */
  healthy(now: number): boolean;
}

export interface SpeakerOptions {
  stores: SpeakerStores;
  writer: ClusterWriter;
  lease: OwnLease;
  node: string;
  namespace: string;
  lbClass?: string;
  /**
   * What the heartbeats say of a node; undefined when never heard (then its Lease decides, so a
   * starting speaker does not claim every address before the first heartbeats arrive).
   */
  heartbeatState?: (node: string) => "alive" | "dead" | "left" | undefined;
  /** Peers heard alive by heartbeats (they are live whatever their Lease says). */
  heartbeatAlive?: () => readonly string[];
  /** Told the speakers found through Leases on every pass (heartbeat peers). */
  onSpeakers?: (speakers: LeaseFacts[]) => void;
  /** A node's Lease was recreated: its speaker restarted (heartbeats start afresh). */
  onLeaseRecreated?: (node: string) => void;
  /** The monotonic clock (ms); tests drive it. */
  now?: () => number;
  l2: L2Driver;
  bgp: BgpDriver;
  log: Logger;
  /** How long a burst of changes is gathered into one pass (ms, default 20). */
  coalesceMs?: number;
}

/** One pass's outcome, waiting to be reported. */
interface Outcome {
  snap: ClusterSnapshot;
  problems: Problem[];
  /** Speakers whose Lease names no usable heartbeat address (they get no heartbeats). */
  heartbeatProblems: string[];
  addressProblems: AddressProblem[];
  reportsAddressEvents: boolean;
  l2Outcomes: L2AddressOutcome[];
  l2ByService: Map<string, string[]>;
  bgpByService: Map<string, string[]>;
}

export class Speaker {
  private readonly events: EventRecorder;
  private readonly written = {
    l2: new Map<string, Record<string, unknown> | undefined>(),
    bgp: new Map<string, Record<string, unknown> | undefined>(),
  };
  private announcedL2 = new Set<string>();
  private announcedBgp = new Set<string>();
  private placed = new Set<string>();
  private reporting: Promise<void> | undefined;
  private nextReport: Outcome | undefined;
  private configState: { status: ConfigurationStateStatus; text: string } | undefined;
  private announcements: Announcement[] = [];
  private pending: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private ticker: NodeJS.Timeout | undefined;
  private lastLive = "";
  private stopped = false;
  private readonly liveness = new LeaseLiveness();

  constructor(private readonly opts: SpeakerOptions) {
    this.events = new EventRecorder(opts.writer, "metallb-speaker", opts.log);
  }

  private get allStores(): Store<KubernetesObject>[] {
    return Object.values(this.opts.stores) as Store<KubernetesObject>[];
  }

  async start(): Promise<void> {
    await this.opts.lease.start();
    // The API server may still be starting (429 "storage is (re)initializing"): keep trying.
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.loadWrittenStatuses();
        break;
      } catch (err) {
        this.opts.log.warn("could not list this node's status objects; retrying", {
          attempt,
          error: String(err),
        });
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      }
    }
    for (const store of this.allStores)
      for (const ev of ["add", "update", "delete"] as const) store.on(ev, () => this.schedule());
    await startAll(this.allStores);
    // Liveness changes with time (Lease expiry, missed heartbeats), not only with events.
    this.ticker = setInterval(() => {
      if (this.liveKey() !== this.lastLive) this.schedule();
    }, 200);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    clearTimeout(this.pending);
    await stopAll(this.allStores);
    await this.running;
    await this.reporting;
    await this.opts.lease.stop();
  }

  /** Runs a pass soon (a driver's state changed outside the stores' view). */
  resync(): void {
    this.schedule();
  }

  /** Resolves once no pass is pending or running and every report is written. */
  async settled(): Promise<void> {
    for (;;) {
      if (this.pending) await new Promise((r) => setTimeout(r, this.opts.coalesceMs ?? 20));
      else if (this.running) await this.running;
      else if (this.reporting) await this.reporting;
      else return;
    }
  }

  /** What this node announced after the last pass, one entry per (address, Service, protocol). */
  announced(): readonly Announcement[] {
    return this.announcements;
  }

  /** Coalesces bursts of events into one pass. */
  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.pass();
    }, this.opts.coalesceMs ?? 20);
  }

  private pass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.reconcile();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.opts.log.error("speaker pass failed; retrying", { error: String(err) });
        setTimeout(() => this.schedule(), 1000);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /**
   * The live set (liveness.ts): Leases seen renewed on this speaker's own clock, frozen while
   * the Lease watch is down or this speaker cannot renew its own Lease; heartbeats override.
   */
  private live(): Set<string> {
    const now = (this.opts.now ?? performance.now.bind(performance))();
    for (const node of this.liveness.observe(this.speakers(), now))
      this.opts.onLeaseRecreated?.(node);
    const reachable = this.opts.stores.leases.synced() && this.opts.lease.healthy(now);
    if (reachable === this.liveness.frozen)
      this.opts.log.warn(
        reachable
          ? "the API server is reachable again; Lease liveness resumes"
          : "the API server is unreachable; keeping the last Lease verdicts (heartbeats still count)",
      );
    this.liveness.setFrozen(!reachable, now);
    return liveNodes(
      this.opts.node,
      this.liveness.live(now),
      this.opts.heartbeatState,
      this.opts.heartbeatAlive?.() ?? [],
    );
  }

  private speakers(): LeaseFacts[] {
    return this.opts.stores.leases.list().flatMap((l) => leaseFacts(l) ?? []);
  }

  private liveKey(): string {
    return [...this.live()].sort().join(",");
  }

  private snapshot(): ClusterSnapshot {
    const s = this.opts.stores;
    return {
      nodes: s.nodes.list(),
      services: s.services.list(),
      endpointSlices: s.endpointSlices.list(),
      pools: s.pools.list(),
      l2Advertisements: s.l2Advertisements.list(),
      bgpAdvertisements: s.bgpAdvertisements.list(),
      bgpPeers: s.bgpPeers.list(),
      communities: s.communities.list(),
      bfdProfiles: s.bfdProfiles.list(),
      ...(this.opts.lbClass ? { lbClass: this.opts.lbClass } : {}),
    };
  }

  private async reconcile(): Promise<void> {
    const snap = this.snapshot();
    const speakers = this.speakers();
    this.opts.onSpeakers?.(speakers);
    const live = this.live();
    this.lastLive = [...live].sort().join(",");
    const { node } = this.opts;
    const plan: PassPlan = planPass(snap, this.opts.namespace, node, live);
    const before = this.placed;
    this.placed = plan.placed;
    const otherMacs = new Set(speakers.filter((f) => f.node !== node).flatMap((f) => f.macs));
    const l2Outcomes = await this.opts.l2.apply(plan.owned, before, otherMacs);
    const peerProblems = await this.opts.bgp.apply(
      plan.config.peers,
      plan.desired.routes,
      { name: node, ...(plan.ipv4 ? { ipv4: plan.ipv4 } : {}) },
      this.peerContext(),
      plan.config.bfdProfiles,
    );
    const a = announced(l2Outcomes, plan.desired.routes);
    this.announcements = a.announcements;
    // Reporting goes through the API server; it must never hold up the next pass (a failover
    // cannot wait for a slow API server). Only the latest outcome is worth reporting.
    this.nextReport = {
      snap,
      problems: [...plan.problems, ...peerProblems],
      heartbeatProblems: speakers.flatMap((f) => f.heartbeatProblem ?? []),
      addressProblems: plan.addressProblems,
      reportsAddressEvents: plan.reportsAddressEvents,
      l2Outcomes,
      l2ByService: a.l2ByService,
      bgpByService: a.bgpByService,
    };
    this.reporting ??= this.reportLoop();
  }

  private peerContext(): PeerContext {
    const secrets = new Map<string, SecretFacts>();
    for (const s of this.opts.stores.secrets.list()) {
      const password = s.data?.password;
      secrets.set(s.metadata?.name ?? "", {
        ...(s.type ? { type: s.type } : {}),
        ...(password !== undefined ? { password: Buffer.from(password, "base64") } : {}),
      });
    }
    return { namespace: this.opts.namespace, secrets };
  }

  private async reportLoop(): Promise<void> {
    try {
      while (this.nextReport) {
        const outcome = this.nextReport;
        this.nextReport = undefined;
        await this.report(outcome).catch((err: unknown) =>
          this.opts.log.warn("could not report the announcements", { error: String(err) }),
        );
      }
    } finally {
      this.reporting = undefined;
    }
  }

  private async report(o: Outcome): Promise<void> {
    const { node, namespace } = this.opts;
    const events = reportEvents({
      node,
      namespace,
      services: o.snap.services,
      problems: o.problems,
      addressProblems: o.reportsAddressEvents ? o.addressProblems : [],
      l2Outcomes: o.l2Outcomes,
      l2ByService: o.l2ByService,
      bgpByService: o.bgpByService,
      before: { l2: this.announcedL2, bgp: this.announcedBgp },
    });
    const [problemEvents, others] = [
      events.filter((e) => e.ref.kind !== "Service"),
      events.filter((e) => e.ref.kind === "Service"),
    ];
    for (const e of problemEvents) await this.events.record(e.ref, e.type, e.reason, e.message);
    await this.writeConfigurationState(o.problems, o.heartbeatProblems, o.addressProblems);
    for (const e of others) await this.events.record(e.ref, e.type, e.reason, e.message);
    this.announcedL2 = new Set(o.l2ByService.keys());
    this.announcedBgp = new Set(o.bgpByService.keys());
    await this.writeStatuses(
      ServiceL2StatusKind,
      this.written.l2,
      stampStatusConditions(
        l2Statuses(node, o.l2Outcomes),
        this.written.l2,
        new Date().toISOString(),
      ),
    );
    await this.writeStatuses(
      ServiceBGPStatusKind,
      this.written.bgp,
      bgpStatuses(node, o.bgpByService),
    );
  }

  /**
   * ConfigurationState "speaker-<node>": whether this node's speaker could apply the whole
   * configuration, with every problem listed; written only when it changes.
   */
  private async writeConfigurationState(
    problems: Problem[],
    heartbeatProblems: string[],
    addressProblems: AddressProblem[],
  ): Promise<void> {
    for (const p of heartbeatProblems)
      if (!this.configState?.text.includes(JSON.stringify(p).slice(1, -1)))
        this.opts.log.warn("a speaker's heartbeat address is not usable", { problem: p });
    const conditions = speakerConditions({
      heartbeats: !!this.opts.heartbeatState,
      heartbeatProblems,
      addressProblems,
      bgpSessions: this.opts.bgp.sessions(),
      backend: this.opts.bgp.conditions?.() ?? [],
    });
    const status = configurationState(
      problems,
      this.configState?.status,
      new Date(),
      undefined,
      conditions,
    );
    const text = JSON.stringify(status);
    if (text === this.configState?.text) return;
    const name = `speaker-${this.opts.node}`;
    try {
      await writeStatusObject(
        this.opts.writer,
        ConfigurationStateKind,
        {
          namespace: this.opts.namespace,
          name,
          labels: { [STATUS_LABELS.node]: this.opts.node },
        },
        status,
        !this.configState,
      );
      this.configState = { status, text };
    } catch (err) {
      this.opts.log.warn("could not write ConfigurationState", { name, error: String(err) });
    }
  }

  private async loadWrittenStatuses(): Promise<void> {
    const { namespace, node, writer } = this.opts;
    for (const [def, map] of [
      [ServiceL2StatusKind, this.written.l2],
      [ServiceBGPStatusKind, this.written.bgp],
    ] as const) {
      for (const o of await writer.listStatuses(def, namespace, `${STATUS_LABELS.node}=${node}`))
        map.set(o.name, o.status);
    }
  }

  private async writeStatuses(
    def: KindDef,
    written: Map<string, Record<string, unknown> | undefined>,
    wanted: StatusObject[],
  ): Promise<void> {
    const { namespace, writer, log } = this.opts;
    const plan = planStatuses(wanted, written);
    for (const o of plan.put) {
      try {
        await writeStatusObject(
          writer,
          def,
          { namespace, name: o.name, labels: o.labels },
          o.status,
          !written.has(o.name),
        );
        written.set(o.name, o.status);
      } catch (err) {
        log.warn(`could not write ${def.kind}`, { name: o.name, error: String(err) });
      }
    }
    for (const name of plan.remove) {
      try {
        await writer.deleteObject(def, namespace, name);
        written.delete(name);
      } catch (err) {
        log.warn(`could not delete ${def.kind}`, { name, error: String(err) });
      }
    }
  }
}
