// The speaker's shell: informers feed the pure decisions (L2 owner election, BGP desired routes);
// the outcome goes to the announcing drivers, to ServiceL2Status/ServiceBGPStatus objects and to
// `nodeAssigned` events. API traffic grows with nodes (one Lease each), never with Services.
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  CoordinationV1Api,
  ListWatch,
  makeInformer,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1EndpointSlice,
  type V1Lease,
  type V1Node,
  type V1Secret,
  type V1Service,
} from "@kubernetes/client-node";
import type { BGPAdvertisementSpec } from "../../api/kinds/bgpadvertisement.js";
import type { ConfigurationStateStatus } from "../../api/kinds/status-kinds.js";
import type { BGPPeerSpec } from "../../api/kinds/bgppeer.js";
import type { CommunitySpec } from "../../api/kinds/community.js";
import type { IPAddressPoolSpec } from "../../api/kinds/ipaddresspool.js";
import type { L2AdvertisementSpec } from "../../api/kinds/l2advertisement.js";
import { EventRecorder, type ObjectRef } from "../kube/events.js";
import { writeStatusObject } from "../kube/status-object.js";
import { parseIp } from "../../api/formats/ip.js";
import type { Logger } from "../log.js";
import { startWithRetry, type Watched } from "../kube/informers.js";
import { desiredRoutes, type DesiredRoute } from "./desired-routes.js";
import type { PeerContext, PeerProblem, SecretFacts } from "./bgp-peer-config.js";
import { configurationState } from "./configuration-state.js";
import { problem, type ConfigKind, type Peer, type Problem } from "../../model/index.js";
import {
  configOf,
  desiredInput,
  electionInput,
  type ClusterSnapshot,
  type ConfigObject,
} from "./cluster-view.js";
import { electOwners, type Placement } from "./l2-election.js";
import { leaseFacts, liveFromLeases, NodeLease, type LeaseFacts } from "./node-lease.js";
import {
  bgpStatuses,
  l2Statuses,
  planStatuses,
  stampConditions,
  STATUS_LABELS,
  type L2AddressOutcome,
  type StatusObject,
} from "./status-plan.js";

/** Makes this node's share of the L2 placements reachable (ARP/NDP). */
export interface L2Driver {
  /**
   * `placedBefore`: addresses some node owned in the previous pass (takeovers, not new).
   * Returns what became of each owned address (announced where, or why not).
   */
  apply(owned: Placement[], placedBefore: ReadonlySet<string>): Promise<L2AddressOutcome[]>;
}

/** One address this node announces for one Service (`metallb_speaker_announced`). */
export interface Announcement {
  ip: string;
  service: string;
  protocol: "layer2" | "bgp";
}

/** Keeps one session per peer and announces exactly the given routes to each. */
export interface BgpDriver {
  /**
   * `node.ipv4` (its InternalIP) is the default router ID, as upstream. Returns the problems of
   * the peers' configurations (a peer that cannot run gets none of its routes).
   */
  apply(
    peers: readonly Peer[],
    routes: Map<string, DesiredRoute[]>,
    node: { name: string; ipv4?: string },
    ctx: PeerContext,
  ): Promise<PeerProblem[]>;
}

export interface SpeakerOptions {
  kc: KubeConfig;
  node: string;
  namespace: string;
  lbClass?: string;
  leaseSeconds: number;
  heartbeatAddress?: string;
  /**
   * What the heartbeats say of a node; undefined when never heard (then its Lease decides, so a
   * starting speaker does not claim every address before the first heartbeats arrive).
   */
  heartbeatState?: (node: string) => "alive" | "dead" | "left" | undefined;
  /** Told the speakers found through Leases on every pass (heartbeat peers). */
  onSpeakers?: (speakers: LeaseFacts[]) => void;
  l2: L2Driver;
  bgp: BgpDriver;
  log: Logger;
}

type Config<S> = KubernetesObject & ConfigObject<S>;

const GROUP = "metallb.io";

/** The kinds whose problems a speaker reports (the controller reports the pools'). */
const SPEAKER_KINDS: ReadonlySet<ConfigKind> = new Set([
  "L2Advertisement",
  "BGPAdvertisement",
  "BGPPeer",
  "BFDProfile",
  "Community",
]);
const BASIC_AUTH_ONLY = "type=kubernetes.io/basic-auth";

function nodeIpv4(snap: ClusterSnapshot, node: string): { ipv4?: string } {
  const me = snap.nodes.find((n) => n.metadata?.name === node);
  const ip = me?.status?.addresses?.find(
    (a) => a.type === "InternalIP" && parseIp(a.address)?.family === 4,
  )?.address;
  return ip ? { ipv4: ip } : {};
}

/** "192.0.2.1/32" → "192.0.2.1"; an aggregated prefix stays a prefix. */
function hostAddress(prefix: string): string {
  const [addr = prefix, len] = prefix.split("/");
  return len === (addr.includes(":") ? "128" : "32") ? addr : prefix;
}

export class Speaker {
  private readonly informers: Watched<KubernetesObject>[] = [];
  private readonly nodes: Watched<V1Node>;
  private readonly services: Watched<V1Service>;
  private readonly slices: Watched<V1EndpointSlice>;
  private readonly leases: Watched<V1Lease>;
  /** Only TCP MD5 keys (passwordSecret): basic-auth Secrets of the runtime namespace. */
  private readonly secrets: Watched<V1Secret>;
  private readonly config: {
    pools: Watched<Config<IPAddressPoolSpec>>;
    l2Advertisements: Watched<Config<L2AdvertisementSpec>>;
    bgpAdvertisements: Watched<Config<BGPAdvertisementSpec>>;
    bgpPeers: Watched<Config<BGPPeerSpec>>;
    communities: Watched<Config<CommunitySpec>>;
  };
  private readonly custom: CustomObjectsApi;
  private readonly events: EventRecorder;
  private readonly lease: NodeLease;
  private readonly written = {
    l2: new Map<string, Record<string, unknown> | undefined>(),
    bgp: new Map<string, Record<string, unknown> | undefined>(),
  };
  private announcedL2 = new Set<string>();
  private placed = new Set<string>();
  private reporting: Promise<void> | undefined;
  private nextReport: (() => Promise<void>) | undefined;
  private announcedBgp = new Set<string>();
  private configState: { status: ConfigurationStateStatus; text: string } | undefined;
  private announcements: Announcement[] = [];
  private pending: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private ticker: NodeJS.Timeout | undefined;
  private lastLive = "";
  private stopped = false;

  constructor(private readonly opts: SpeakerOptions) {
    const { kc, namespace } = opts;
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const coordination = kc.makeApiClient(CoordinationV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.events = new EventRecorder(kc, "metallb-speaker", opts.log);
    this.lease = new NodeLease(kc, {
      namespace,
      node: opts.node,
      durationSeconds: opts.leaseSeconds,
      log: opts.log,
      ...(opts.heartbeatAddress ? { heartbeatAddress: opts.heartbeatAddress } : {}),
    });
    const watch = <T extends KubernetesObject>(
      path: string,
      list: () => Promise<KubernetesListObject<T>>,
    ) => {
      const inf = makeInformer(kc, path, list);
      this.informers.push(inf);
      return inf;
    };
    this.nodes = watch("/api/v1/nodes", () => core.listNode());
    this.services = watch("/api/v1/services", () => core.listServiceForAllNamespaces());
    this.slices = watch("/apis/discovery.k8s.io/v1/endpointslices", () =>
      discovery.listEndpointSliceForAllNamespaces(),
    );
    this.leases = watch(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`, () =>
      coordination.listNamespacedLease({ namespace }),
    );
    const secretsPath = `/api/v1/namespaces/${namespace}/secrets`;
    this.secrets = new ListWatch<V1Secret>(
      secretsPath,
      new Watch(kc),
      () => core.listNamespacedSecret({ namespace, fieldSelector: BASIC_AUTH_ONLY }),
      false,
      undefined,
      BASIC_AUTH_ONLY,
    );
    this.informers.push(this.secrets);
    const cfg = <S>(plural: string, version = "v1beta1") =>
      watch<Config<S>>(
        `/apis/${GROUP}/${version}/namespaces/${namespace}/${plural}`,
        () =>
          this.custom.listNamespacedCustomObject({
            group: GROUP,
            version,
            namespace,
            plural,
          }) as Promise<KubernetesListObject<Config<S>>>,
      );
    this.config = {
      pools: cfg<IPAddressPoolSpec>("ipaddresspools"),
      l2Advertisements: cfg<L2AdvertisementSpec>("l2advertisements"),
      bgpAdvertisements: cfg<BGPAdvertisementSpec>("bgpadvertisements"),
      bgpPeers: cfg<BGPPeerSpec>("bgppeers", "v1beta2"),
      communities: cfg<CommunitySpec>("communities"),
    };
  }

  async start(): Promise<void> {
    await this.lease.start();
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
    for (const inf of this.informers) {
      inf.on("error", (err: unknown) => {
        if (this.stopped) return;
        this.opts.log.warn("watch failed; restarting it", { error: String(err) });
        setTimeout(() => void inf.start().catch(() => undefined), 1000);
      });
      for (const ev of ["add", "update", "delete"] as const) inf.on(ev, () => this.schedule());
      await startWithRetry(inf, this.opts.log, () => this.stopped);
    }
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
    for (const inf of this.informers) await inf.stop();
    await this.running;
    await this.reporting;
    await this.lease.stop();
  }

  /** Coalesces bursts of events into one pass. */
  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.pending);
    this.pending = setTimeout(() => void this.pass(), 20);
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

  private live(): Set<string> {
    const facts = this.speakers();
    const byLease = liveFromLeases(facts, Date.now());
    byLease.add(this.opts.node);
    const state = this.opts.heartbeatState;
    if (!state) return byLease;
    return new Set(
      [...byLease].filter((n) => {
        if (n === this.opts.node) return true;
        const st = state(n);
        return st !== "dead" && st !== "left";
      }),
    );
  }

  private speakers(): LeaseFacts[] {
    return this.leases.list().flatMap((l) => leaseFacts(l) ?? []);
  }

  private liveKey(): string {
    return [...this.live()].sort().join(",");
  }

  private snapshot(): ClusterSnapshot {
    const c = this.config;
    return {
      nodes: this.nodes.list(),
      services: this.services.list(),
      endpointSlices: this.slices.list(),
      pools: c.pools.list(),
      l2Advertisements: c.l2Advertisements.list(),
      bgpAdvertisements: c.bgpAdvertisements.list(),
      bgpPeers: c.bgpPeers.list(),
      communities: c.communities.list(),
      ...(this.opts.lbClass ? { lbClass: this.opts.lbClass } : {}),
    };
  }

  private async reconcile(): Promise<void> {
    const snap = this.snapshot();
    this.opts.onSpeakers?.(this.speakers());
    const live = this.live();
    this.lastLive = [...live].sort().join(",");
    const { node } = this.opts;

    const config = configOf(snap, this.opts.namespace);
    const election = electOwners(electionInput(snap, config, live));
    const owned = election.placements.filter((p) => p.owner === node);
    const before = this.placed;
    this.placed = new Set(election.placements.map((p) => p.ip));
    const l2Outcomes = await this.opts.l2.apply(owned, before);
    const l2ByService = new Map<string, string[]>();
    for (const o of l2Outcomes)
      if (o.interfaces.length)
        for (const s of o.services)
          l2ByService.set(s, [...new Set([...(l2ByService.get(s) ?? []), ...o.interfaces])]);

    const input = desiredInput(snap, config, node);
    const desired = input
      ? desiredRoutes(input)
      : { routes: new Map<string, DesiredRoute[]>(), problems: [] };
    const peerProblems = await this.opts.bgp.apply(
      config.peers,
      desired.routes,
      { name: node, ...nodeIpv4(snap, node) },
      this.peerContext(),
    );
    const bgpByService = new Map<string, string[]>();
    for (const [peer, routes] of desired.routes)
      for (const r of routes)
        for (const s of r.services) bgpByService.set(s, [...(bgpByService.get(s) ?? []), peer]);

    this.announcements = [
      ...l2Outcomes.flatMap((o) =>
        o.interfaces.length
          ? o.services.map((service) => ({ ip: o.ip, service, protocol: "layer2" as const }))
          : [],
      ),
      ...[...desired.routes.values()].flat().flatMap((r) =>
        r.services.map((service) => ({
          ip: hostAddress(r.prefix),
          service,
          protocol: "bgp" as const,
        })),
      ),
    ];

    // Reporting goes through the API server; it must never hold up the next pass (a failover
    // cannot wait for a slow API server). Only the latest outcome is worth reporting.
    const problems: Problem[] = [
      ...config.problems.filter((p) => SPEAKER_KINDS.has(p.kind) && p.severity === "error"),
      ...desired.problems,
      ...peerProblems.map((p) => problem("BGPPeer", p.peer, [], p.message, "")),
    ];
    this.nextReport = () => this.report(snap, problems, l2Outcomes, l2ByService, bgpByService);
    this.reporting ??= this.reportLoop();
  }

  private peerContext(): PeerContext {
    const secrets = new Map<string, SecretFacts>();
    for (const s of this.secrets.list()) {
      const password = s.data?.password;
      secrets.set(s.metadata?.name ?? "", {
        ...(s.type ? { type: s.type } : {}),
        ...(password !== undefined ? { password: Buffer.from(password, "base64").toString() } : {}),
      });
    }
    return { namespace: this.opts.namespace, secrets };
  }

  private async reportLoop(): Promise<void> {
    try {
      while (this.nextReport) {
        const report = this.nextReport;
        this.nextReport = undefined;
        await report().catch((err: unknown) =>
          this.opts.log.warn("could not report the announcements", { error: String(err) }),
        );
      }
    } finally {
      this.reporting = undefined;
    }
  }

  private async report(
    snap: ClusterSnapshot,
    problems: Problem[],
    l2Outcomes: L2AddressOutcome[],
    l2ByService: Map<string, string[]>,
    bgpByService: Map<string, string[]>,
  ): Promise<void> {
    const { node } = this.opts;
    for (const p of problems)
      await this.events.record(
        this.configRef(p.kind, p.name),
        "Warning",
        "InvalidConfiguration",
        p.message,
      );
    await this.writeConfigurationState(problems);
    // A first foreign answer is only a suspicion until the re-probe: no event yet.
    for (const o of l2Outcomes)
      for (const p of o.problems)
        if (p.reason !== "Probing")
          for (const service of o.services)
            await this.warn({ service }, p.reason, `node ${node}: ${p.message}`);
    await this.announceEvents(snap, l2ByService, bgpByService);
    await this.writeStatuses(
      "servicel2statuses",
      "ServiceL2Status",
      this.written.l2,
      stampConditions(l2Statuses(node, l2Outcomes), this.written.l2, new Date().toISOString()),
    );
    await this.writeStatuses(
      "servicebgpstatuses",
      "ServiceBGPStatus",
      this.written.bgp,
      bgpStatuses(node, bgpByService),
    );
  }

  /**
   * ConfigurationState "speaker-<node>": whether this node's speaker could apply the whole
   * configuration, with every problem listed; written only when it changes.
   */
  private async writeConfigurationState(problems: Problem[]): Promise<void> {
    const status = configurationState(problems, this.configState?.status, new Date());
    const text = JSON.stringify(status);
    if (text === this.configState?.text) return;
    const name = `speaker-${this.opts.node}`;
    try {
      await writeStatusObject(
        this.custom,
        {
          namespace: this.opts.namespace,
          plural: "configurationstates",
          kind: "ConfigurationState",
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

  /** Runs a pass soon (a driver's state changed outside the informers' view). */
  resync(): void {
    this.schedule();
  }

  /** What this node announced after the last pass, one entry per (address, Service, protocol). */
  announced(): readonly Announcement[] {
    return this.announcements;
  }

  /** A Warning event on a Service ("namespace/name") or a configuration object. */
  async warn(
    target: { service: string } | { kind: string; name: string },
    reason: string,
    message: string,
  ): Promise<void> {
    let ref: ObjectRef;
    if ("service" in target) {
      const [namespace = "", name = ""] = target.service.split("/");
      const uid = this.services.get(name, namespace)?.metadata?.uid;
      ref = { apiVersion: "v1", kind: "Service", namespace, name, ...(uid ? { uid } : {}) };
    } else ref = this.configRef(target.kind, target.name);
    await this.events.record(ref, "Warning", reason, message);
  }

  private configRef(kind: string, name: string): ObjectRef {
    return { apiVersion: `${GROUP}/v1beta1`, kind, namespace: this.opts.namespace, name };
  }

  /** `nodeAssigned` when this node starts announcing a Service. */
  private async announceEvents(
    snap: ClusterSnapshot,
    l2: Map<string, string[]>,
    bgp: Map<string, string[]>,
  ): Promise<void> {
    const byKey = new Map(
      snap.services.map((s) => [`${s.metadata?.namespace}/${s.metadata?.name}`, s]),
    );
    for (const [protocol, now, before] of [
      ["layer2", l2, this.announcedL2],
      ["bgp", bgp, this.announcedBgp],
    ] as const) {
      for (const key of now.keys()) {
        if (before.has(key)) continue;
        const svc = byKey.get(key);
        if (!svc) continue;
        await this.events.record(
          {
            apiVersion: "v1",
            kind: "Service",
            namespace: svc.metadata?.namespace ?? "",
            name: svc.metadata?.name ?? "",
            ...(svc.metadata?.uid ? { uid: svc.metadata.uid } : {}),
          },
          "Normal",
          "nodeAssigned",
          `announcing from node "${this.opts.node}" with protocol "${protocol}"`,
        );
      }
    }
    this.announcedL2 = new Set(l2.keys());
    this.announcedBgp = new Set(bgp.keys());
  }

  private async loadWrittenStatuses(): Promise<void> {
    const { namespace, node } = this.opts;
    for (const [plural, map] of [
      ["servicel2statuses", this.written.l2],
      ["servicebgpstatuses", this.written.bgp],
    ] as const) {
      const list = (await this.custom.listNamespacedCustomObject({
        group: GROUP,
        version: "v1beta1",
        namespace,
        plural,
        labelSelector: `${STATUS_LABELS.node}=${node}`,
      })) as { items: { metadata: { name: string }; status?: Record<string, unknown> }[] };
      for (const o of list.items) map.set(o.metadata.name, o.status);
    }
  }

  private async writeStatuses(
    plural: string,
    kind: string,
    written: Map<string, Record<string, unknown> | undefined>,
    wanted: StatusObject[],
  ): Promise<void> {
    const { namespace } = this.opts;
    const target = { group: GROUP, version: "v1beta1", namespace, plural };
    const plan = planStatuses(wanted, written);
    for (const o of plan.put) {
      try {
        await writeStatusObject(
          this.custom,
          { namespace, plural, kind, name: o.name, labels: o.labels },
          o.status,
          !written.has(o.name),
        );
        written.set(o.name, o.status);
      } catch (err) {
        this.opts.log.warn(`could not write ${kind}`, { name: o.name, error: String(err) });
      }
    }
    for (const name of plan.remove) {
      try {
        await this.custom.deleteNamespacedCustomObject({ ...target, name });
      } catch (err) {
        if ((err as { code?: number }).code !== 404) {
          this.opts.log.warn(`could not delete ${kind}`, { name, error: String(err) });
          continue;
        }
      }
      written.delete(name);
    }
  }
}
