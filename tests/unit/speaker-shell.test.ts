// The speaker's shell against in-memory stores, a recording writer and recording drivers: what it
// asks the drivers to announce and what it reports, for situations the net tests cover with real
// speakers in namespaces.
import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ANNOTATION } from "../../src/api/service.js";
import { problem, type Peer, type Problem } from "../../src/model/index.js";
import type { PeerContext } from "../../src/runtime/speaker/bgp-peer-config.js";
import type { DesiredRoute } from "../../src/runtime/speaker/desired-routes.js";
import type { BgpDriver, L2Driver } from "../../src/runtime/speaker/drivers.js";
import type { Placement } from "../../src/runtime/speaker/l2-election.js";
import type { Store } from "../../src/runtime/kube/store.js";
import { Speaker, type SpeakerStores } from "../../src/runtime/speaker/speaker.js";
import { statusName, type L2AddressOutcome } from "../../src/runtime/speaker/status-plan.js";
import { MemoryStore, RecordingWriter, quietLog } from "./fakes/kube.js";

const NS = "metallb-system";

type MemoryStores = {
  [K in keyof SpeakerStores]: SpeakerStores[K] extends Store<infer T> ? MemoryStore<T> : never;
};
const cfg = (kind: string, name: string, spec: object) => ({
  apiVersion: "metallb.io/v1beta1",
  kind,
  metadata: { namespace: NS, name },
  spec,
});

const node = (name: string): k8s.V1Node => ({
  metadata: { name, labels: { "kubernetes.io/hostname": name } },
  status: { addresses: [{ type: "InternalIP", address: "192.0.2.11" }] },
});

const service = (name: string, ip: string, pool = "pool"): k8s.V1Service => ({
  metadata: {
    namespace: "apps",
    name,
    uid: `uid-${name}`,
    annotations: { [ANNOTATION.allocatedFromPool]: pool },
  },
  spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
  status: { loadBalancer: { ingress: [{ ip }] } },
});

const slice = (svc: string, nodeName: string): k8s.V1EndpointSlice => ({
  metadata: {
    namespace: "apps",
    name: `${svc}-1`,
    labels: { "kubernetes.io/service-name": svc },
  },
  addressType: "IPv4",
  endpoints: [{ addresses: ["198.51.100.5"], nodeName, conditions: { ready: true } }],
});

class RecordingL2 implements L2Driver {
  owned: Placement[] = [];
  speakerMacs: string[] = [];
  apply(
    owned: Placement[],
    _before: ReadonlySet<string>,
    speakerMacs: ReadonlySet<string> = new Set(),
  ): Promise<L2AddressOutcome[]> {
    this.owned = owned;
    this.speakerMacs = [...speakerMacs].sort();
    return Promise.resolve(
      owned.map((p) => ({
        ip: p.ip,
        services: p.services,
        interfaces: ["eth0"],
        problems: [],
      })),
    );
  }
}

class RecordingBgp implements BgpDriver {
  peers: readonly Peer[] = [];
  sessions = () => [];
  routes = new Map<string, DesiredRoute[]>();
  problems: Problem[] = [];
  apply(
    peers: readonly Peer[],
    routes: Map<string, DesiredRoute[]>,
    _node: { name: string; ipv4?: string },
    _ctx: PeerContext,
  ): Promise<Problem[]> {
    this.peers = peers;
    this.routes = routes;
    return Promise.resolve(this.problems);
  }
}

function speakerOn(objects: {
  heartbeats?: boolean;
  services?: k8s.V1Service[];
  slices?: k8s.V1EndpointSlice[];
  config?: ReturnType<typeof cfg>[];
}) {
  // The configuration objects of one kind, as that kind's store holds them.
  const byKind = <T>(kind: string): T[] =>
    (objects.config ?? []).filter((o) => o.kind === kind) as unknown as T[];
  const stores: MemoryStores = {
    nodes: new MemoryStore<k8s.V1Node>([node("n1")]),
    services: new MemoryStore<k8s.V1Service>(objects.services ?? []),
    endpointSlices: new MemoryStore<k8s.V1EndpointSlice>(objects.slices ?? []),
    leases: new MemoryStore<k8s.V1Lease>([]),
    secrets: new MemoryStore<k8s.V1Secret>([]),
    pools: new MemoryStore(byKind("IPAddressPool")),
    l2Advertisements: new MemoryStore(byKind("L2Advertisement")),
    bgpAdvertisements: new MemoryStore(byKind("BGPAdvertisement")),
    bgpPeers: new MemoryStore(byKind("BGPPeer")),
    communities: new MemoryStore(byKind("Community")),
    bfdProfiles: new MemoryStore(byKind("BFDProfile")),
  };
  const writer = new RecordingWriter();
  const l2 = new RecordingL2();
  const bgp = new RecordingBgp();
  const lease = {
    started: 0,
    stopped: 0,
    healthy: () => lease.reachable,
    reachable: true,
    start: () => Promise.resolve(void lease.started++),
    stop: () => Promise.resolve(void lease.stopped++),
  };
  /** The speaker's monotonic clock, moved by the tests. */
  const clock = { ms: 1_000_000 };
  const heartbeats = new Map<string, "alive" | "dead" | "left">();
  const speaker = new Speaker({
    stores,
    writer,
    lease,
    node: "n1",
    namespace: NS,
    l2,
    bgp,
    log: quietLog,
    coalesceMs: 1,
    now: () => clock.ms,
    ...(objects.heartbeats
      ? {
          heartbeatState: (n: string) => heartbeats.get(n),
          heartbeatAlive: () => [...heartbeats].filter(([, v]) => v === "alive").map(([n]) => n),
        }
      : {}),
  });
  return { stores, writer, l2, bgp, lease, speaker, clock, heartbeats };
}

const pool = cfg("IPAddressPool", "pool", { addresses: ["203.0.113.0/28"] });

/** One Service with an address and a ready endpoint on n1, announced in L2; started, settled. */
async function oneL2Service() {
  const s = speakerOn({
    services: [service("web", "203.0.113.1")],
    slices: [slice("web", "n1")],
    config: [pool, cfg("L2Advertisement", "l2", {})],
  });
  await s.speaker.start();
  await s.speaker.settled();
  return s;
}

describe("speaker shell", () => {
  it("announces an assigned Service in L2 and reports it: status, event, Valid state", async () => {
    const s = await oneL2Service();
    expect(s.l2.owned).toEqual([
      { ip: "203.0.113.1", owner: "n1", services: ["apps/web"], interfaces: [] },
    ]);
    expect(s.lease.started).toBe(1);
    expect(s.writer.status("ServiceL2Status", statusName("l2", "apps/web", "n1"))).toMatchObject({
      node: "n1",
      serviceName: "web",
      interfaces: [{ name: "eth0" }],
      conditions: [{ type: "Announced", status: "True" }],
    });
    expect(s.writer.events.map((e) => [e.ref.kind, e.reason])).toEqual([
      ["Service", "nodeAssigned"],
    ]);
    expect(s.writer.status("ConfigurationState", "speaker-n1")).toMatchObject({ result: "Valid" });
    expect(s.speaker.announced()).toEqual([
      { ip: "203.0.113.1", service: "apps/web", protocol: "layer2" },
    ]);
    await s.speaker.stop();
    expect(s.lease.stopped).toBe(1);
  });

  it("hands the BGP driver the model's peers and the routes, and reports the peers per Service", async () => {
    const s = speakerOn({
      services: [service("web", "203.0.113.1")],
      slices: [slice("web", "n1")],
      config: [
        pool,
        cfg("BGPPeer", "tor", { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1" }),
        cfg("BGPAdvertisement", "adv", { communities: ["64512:7"] }),
      ],
    });
    await s.speaker.start();
    await s.speaker.settled();
    expect(s.bgp.peers.map((p) => [p.name, p.ebgp])).toEqual([["tor", true]]);
    expect(s.bgp.routes.get("tor")).toEqual([
      {
        prefix: "203.0.113.1/32",
        family: 4,
        communities: ["64512:7"],
        largeCommunities: [],
        services: ["apps/web"],
      },
    ]);
    expect(s.writer.status("ServiceBGPStatus", statusName("bgp", "apps/web", "n1"))).toMatchObject({
      peers: ["tor"],
    });
    await s.speaker.stop();
  });

  it("reports the model's and the driver's problems as Warnings and an Invalid ConfigurationState", async () => {
    const s = speakerOn({
      config: [
        pool,
        cfg("BGPPeer", "tor", { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1" }),
        cfg("BGPAdvertisement", "adv", { communities: ["no-such-alias"] }),
      ],
    });
    s.bgp.problems = [
      problem("BGPPeer", "tor", [], 'vrf "red" is not available in the native BGP speaker', ""),
    ];
    await s.speaker.start();
    await s.speaker.settled();
    expect(s.writer.events.map((e) => [e.ref.kind, e.ref.name, e.reason]).sort()).toEqual([
      ["BGPAdvertisement", "adv", "InvalidConfiguration"],
      ["BGPPeer", "tor", "InvalidConfiguration"],
    ]);
    const state = s.writer.status<{ result: string; errorSummary: string }>(
      "ConfigurationState",
      "speaker-n1",
    );
    expect(state?.result).toBe("Invalid");
    expect(state?.errorSummary.split("\n")).toEqual([
      'BGPAdvertisement adv: spec.communities[0]: community alias "no-such-alias" is defined in no Community object; define it or use the value',
      'BGPPeer tor: vrf "red" is not available in the native BGP speaker',
    ]);
    await s.speaker.stop();
  });

  it("removes a Service's status once it is gone, and writes nothing when nothing changed", async () => {
    const s = await oneL2Service();
    const writes = s.writer.writes.length;
    s.stores.endpointSlices.set(slice("web", "n1"));
    await s.speaker.settled();
    expect(s.writer.writes.length).toBe(writes);
    s.stores.services.delete("web", "apps");
    await s.speaker.settled();
    expect(s.l2.owned).toEqual([]);
    expect(s.writer.writes.at(-1)).toEqual({
      op: "delete",
      kind: "ServiceL2Status",
      name: statusName("l2", "apps/web", "n1"),
    });
    await s.speaker.stop();
  });

  /** Eight Services with a ready endpoint on n1, and a second node n2 whose speaker renews. */
  async function twoNodes(heartbeats = false) {
    const s = speakerOn({
      services: Array.from({ length: 8 }, (_, i) => service(`s${i}`, `203.0.113.${i + 1}`)),
      slices: Array.from({ length: 8 }, (_, i) => slice(`s${i}`, "n1")),
      config: [pool, cfg("L2Advertisement", "l2", {})],
      heartbeats,
    });
    s.stores.nodes.set(node("n2"));
    let renewals = 0;
    /** n2 renews its Lease (a new renewTime, whatever its value: n2's clock may be anywhere). */
    const renew = () =>
      s.stores.leases.set({
        metadata: {
          namespace: NS,
          name: "metallb-speaker-n2",
          uid: "n2-lease",
          annotations: { "metallb.io/macs": "02:00:00:00:00:02,02:00:00:00:00:22" },
        },
        spec: {
          holderIdentity: "n2",
          leaseDurationSeconds: 10,
          renewTime: new Date(Date.UTC(2000, 0, 1) + 1000 * ++renewals),
        },
      });
    renew();
    await s.speaker.start();
    await s.speaker.settled();
    const elapse = async (ms: number) => {
      s.clock.ms += ms;
      s.speaker.resync();
      await s.speaker.settled();
    };
    return { ...s, renew, elapse };
  }

  it("leaves addresses to another live node's speaker, and takes them when its Lease lapses", async () => {
    const s = await twoNodes();
    const mine = s.l2.owned.length;
    expect(mine).toBeGreaterThan(0);
    expect(mine).toBeLessThan(8);
    // n2's MACs (from its Lease) are a handover in progress to this node's probes, not a conflict.
    expect(s.l2.speakerMacs).toEqual(["02:00:00:00:00:02", "02:00:00:00:00:22"]);
    await s.elapse(9_000);
    s.renew(); // seen renewed: live for another 10 s on this speaker's clock
    await s.speaker.settled();
    await s.elapse(9_000);
    expect(s.l2.owned).toHaveLength(mine);
    await s.elapse(1_001);
    expect(s.l2.owned).toHaveLength(8);
    await s.speaker.stop();
  });

  it("an API server outage freezes the Lease verdicts: nothing moves, during or after", async () => {
    const s = await twoNodes();
    const before = s.l2.owned.map((p) => p.ip);
    s.stores.leases.following = false; // the Lease watch failed
    s.lease.reachable = false; // and this speaker's own renewals fail
    await s.elapse(200); // the next liveness check notices
    await s.elapse(60_000);
    expect(s.l2.owned.map((p) => p.ip)).toEqual(before);
    s.stores.leases.following = true;
    s.lease.reachable = true;
    await s.elapse(1_000);
    expect(s.l2.owned.map((p) => p.ip)).toEqual(before);
    s.renew();
    await s.speaker.settled();
    await s.elapse(9_500);
    expect(s.l2.owned.map((p) => p.ip)).toEqual(before);
    await s.speaker.stop();
  });

  it("heartbeats override the Leases: heard alive keeps a peer, heard dead drops it at once", async () => {
    const s = await twoNodes(true);
    const mine = s.l2.owned.length;
    s.heartbeats.set("n2", "alive");
    await s.elapse(30_000); // n2's Lease lapsed long ago; its heartbeats keep it live
    expect(s.l2.owned).toHaveLength(mine);
    s.heartbeats.set("n2", "dead");
    await s.elapse(10);
    expect(s.l2.owned).toHaveLength(8);
    await s.speaker.stop();
  });

  it("a Lease with a garbage heartbeat address: that peer is skipped and named, the rest goes on", async () => {
    const s = await twoNodes(true);
    s.stores.leases.set({
      metadata: {
        namespace: NS,
        name: "metallb-speaker-n3",
        annotations: { "metallb.io/heartbeat-address": "not-an-address" },
      },
      spec: { holderIdentity: "n3", leaseDurationSeconds: 10, renewTime: new Date() },
    });
    await s.speaker.settled();
    const state = s.writer.status<{
      conditions: { type: string; status: string; message: string }[];
    }>("ConfigurationState", "speaker-n1");
    const hb = state?.conditions.find((c) => c.type === "HeartbeatPeers");
    expect(hb?.status).toBe("False");
    expect(hb?.message).toContain('"not-an-address", not an IP address');
    await s.speaker.stop();
  });

  it("a re-pointed pool annotation: nothing announced for that Service, an event and a condition say why", async () => {
    const premium = cfg("IPAddressPool", "premium", { addresses: ["198.51.100.0/28"] });
    const s = speakerOn({
      services: [service("web", "203.0.113.1"), service("tenant", "203.0.113.2", "premium")],
      slices: [slice("web", "n1"), slice("tenant", "n1")],
      config: [
        pool,
        premium,
        cfg("BGPPeer", "tor", { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1" }),
        cfg("BGPAdvertisement", "gold", { ipAddressPools: ["premium"], communities: ["64512:9"] }),
        cfg("BGPAdvertisement", "std", { ipAddressPools: ["pool"] }),
      ],
    });
    await s.speaker.start();
    await s.speaker.settled();
    expect([...s.bgp.routes.get("tor")!].map((r) => [r.prefix, r.communities])).toEqual([
      ["203.0.113.1/32", []],
    ]);
    expect(
      s.writer.events.filter((e) => e.reason === "PoolAnnotationMismatch").map((e) => e.ref.name),
    ).toEqual(["tenant"]);
    const conditions = () =>
      s.writer
        .status<{ conditions: { type: string; status: string; message: string }[] }>(
          "ConfigurationState",
          "speaker-n1",
        )
        ?.conditions.find((c) => c.type === "AddressesAnnounceable");
    expect(conditions()).toMatchObject({ status: "False" });
    expect(conditions()?.message).toMatch(
      /^apps\/tenant 203\.0\.113\.2: annotation .* says "premium"/,
    );
    // The controller restores the annotation: announced again, as its own pool's.
    s.stores.services.set(service("tenant", "203.0.113.2"));
    await s.speaker.settled();
    expect([...s.bgp.routes.get("tor")!].map((r) => r.prefix)).toEqual([
      "203.0.113.1/32",
      "203.0.113.2/32",
    ]);
    expect(conditions()).toMatchObject({ status: "True" });
    await s.speaker.stop();
  });
});
