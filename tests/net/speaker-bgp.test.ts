// The whole BGP path, real parts only: the API server, the controller as a process, three
// `metallb-ts speaker` processes in node namespaces and FRR as the upstream router, with a TCP MD5
// key from a Secret. Routes follow Services, endpoints and node labels; problems become a
// ConfigurationState and events.
import {
  DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Api,
  type CustomObjectsApi,
  type V1EndpointSlice,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFrr, type BgpRouter, type RibPath } from "../../src/lab/net/index.js";
import { waitFor } from "../../src/sys/proc.js";
import {
  nodeAddress,
  nodeAddress6,
  NODES,
  startSpeakerLab,
  type SpeakerLab,
  SYSTEM,
} from "../../src/lab/speaker-lab.js";

const NS = "bgp-e2e";
const ADDR = Object.fromEntries(NODES.map((n) => [n, nodeAddress(n)])) as Record<
  (typeof NODES)[number],
  string
>;
const ADDR6 = Object.fromEntries(NODES.map((n) => [n, nodeAddress6(n)])) as Record<
  (typeof NODES)[number],
  string
>;
const ALL4 = NODES.map((n) => ADDR[n]);
const ALL6 = NODES.map((n) => ADDR6[n]);
const ROUTER = "192.0.2.1";
const KEY = "e2e-md5-key";
const EXCLUDE = "node.kubernetes.io/exclude-from-external-load-balancers";
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

let cluster: SpeakerLab;
let frr: BgpRouter;
let core: CoreV1Api;
let custom: CustomObjectsApi;
const ips: Record<string, string> = {};

const config = (kind: string, name: string, spec: object) =>
  cluster.harness.createConfig(SYSTEM, kind, name, spec);

const slice = (service: string, family: "IPv4" | "IPv6", node: string): V1EndpointSlice => ({
  metadata: { name: `${service}-1`, labels: { "kubernetes.io/service-name": service } },
  addressType: family,
  endpoints: [
    {
      addresses: [family === "IPv4" ? "192.0.2.50" : "2001:db8::50"],
      nodeName: node,
      conditions: { ready: true },
    },
  ],
  ports: [{ port: 80, protocol: "TCP" }],
});

/** The next hops FRR holds for `ip`, once they equal `want` (sorted). */
async function nextHops(ip: string, want: string[]): Promise<RibPath[]> {
  const family = ip.includes(":") ? 6 : 4;
  const prefix = `${ip}/${family === 4 ? 32 : 128}`;
  let last: string[] = [];
  return waitFor(
    `FRR to hold ${prefix} via [${want.join(", ")}]`,
    async () => {
      const paths = (await frr.rib(family)).filter((p) => p.prefix === prefix);
      last = paths.map((p) => p.nextHop).sort();
      return JSON.stringify(last) === JSON.stringify([...want].sort()) ? paths : undefined;
    },
    90_000,
    300,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last seen [${last.join(", ")}]`);
  });
}

async function configurationState(node: string) {
  return (await custom
    .getNamespacedCustomObject({
      group: "metallb.io",
      version: "v1beta1",
      namespace: SYSTEM,
      plural: "configurationstates",
      name: `speaker-${node}`,
    })
    .catch(() => undefined)) as
    | { status?: { result?: string; errorSummary?: string; conditions?: { status: string }[] } }
    | undefined;
}

async function bgpStatuses(service: string) {
  const list = (await custom.listNamespacedCustomObject({
    group: "metallb.io",
    version: "v1beta1",
    namespace: SYSTEM,
    plural: "servicebgpstatuses",
    labelSelector: `metallb.io/service-name=${service}`,
  })) as { items: { status?: { node?: string; peers?: string[] } }[] };
  return list.items
    .map((i) => i.status ?? {})
    .sort((a, b) => ((a.node ?? "") < (b.node ?? "") ? -1 : 1));
}

beforeAll(async () => {
  cluster = await startSpeakerLab({
    namespaces: [NS],
    extraHosts: [
      { name: "frr", links: [{ segment: "lan", addresses: [`${ROUTER}/24`, "2001:db8::1/64"] }] },
    ],
    beforeSpeakers: async (lab) => {
      frr = await startFrr(lab, {
        host: "frr",
        asn: 64512,
        routerId: ROUTER,
        maximumPaths: 4,
        neighbors: NODES.map((n) => ({
          address: ADDR[n],
          asn: 64513,
          password: KEY,
          holdTime: 9,
          families: [4, 6],
        })),
      });
    },
  });
  core = cluster.core;
  custom = cluster.custom;
  const h = cluster.harness;

  // The peer first, its Secret later: the speakers must pick the key up when it appears.
  await config("BGPPeer", "frr", {
    myASN: 64513,
    peerASN: 64512,
    peerAddress: ROUTER,
    holdTime: "9s",
    enableGracefulRestart: true,
    passwordSecret: { name: "frr-key", namespace: SYSTEM },
  });
  await h.createPool(SYSTEM, "bgp", { addresses: ["203.0.113.0/28", "2001:db8:ff::/124"] });
  await config("BGPAdvertisement", "bgp", {
    ipAddressPools: ["bgp"],
    communities: ["64512:100"],
  });
  const discovery = cluster.admin.makeApiClient(DiscoveryV1Api);
  for (const [name, family, local] of [
    ["cluster4", "IPv4", false],
    ["cluster6", "IPv6", false],
    ["local4", "IPv4", true],
  ] as const) {
    await h.lbService(NS, name, {
      spec: { ipFamilies: [family], ...(local ? { externalTrafficPolicy: "Local" } : {}) },
    });
    await discovery.createNamespacedEndpointSlice({
      namespace: NS,
      body: slice(name, family, "n1"),
    });
    ips[name] = (await h.waitIngress(NS, name))[0] ?? "";
  }
}, 300_000);

afterAll(async () => {
  await frr?.stop().catch(() => undefined);
  await cluster?.stop();
});

describe("BGP speakers end to end (API server, controller, three speaker processes, FRR)", () => {
  it("a missing passwordSecret is reported in each speaker's ConfigurationState; no session without it", async () => {
    const state = await waitFor(
      "speaker-n1's ConfigurationState to be Invalid",
      async () => {
        const s = await configurationState("n1");
        return s?.status?.result === "Invalid" ? s : undefined;
      },
      90_000,
      300,
    );
    expect(state.status?.errorSummary).toMatch(
      /BGPPeer frr: passwordSecret "frr-key" does not exist/,
    );
    expect(state.status?.conditions?.[0]?.status).toBe("False");
    expect((await frr.sessions())[ADDR.n1]).not.toBe("Established");
  });

  it("with the Secret, every node's signed session comes up and FRR installs all next hops (ECMP)", async () => {
    await core.createNamespacedSecret({
      namespace: SYSTEM,
      body: {
        metadata: { name: "frr-key" },
        type: "kubernetes.io/basic-auth",
        stringData: { password: KEY },
      },
    });
    const paths = await nextHops(ips.cluster4 ?? "", ALL4);
    for (const p of paths) {
      expect(p.asPath).toEqual([64513]);
      expect(p.communities).toEqual(["64512:100"]);
    }
    // IPv6 over the IPv4 sessions (MP-BGP), with each node's IPv6 address as next hop.
    await nextHops(ips.cluster6 ?? "", ALL6);
    await waitFor(
      "speaker-n1's ConfigurationState to be Valid",
      async () => ((await configurationState("n1"))?.status?.result === "Valid" ? true : undefined),
      90_000,
      300,
    );
    // Each speaker reports its sessions in its ConfigurationState (what `metallb-ts status` shows).
    for (const node of ["n1", "n2", "n3"]) {
      const sessions = await waitFor(
        `speaker-${node}'s BGPSessions condition to be True`,
        async () => {
          const c = (
            (await configurationState(node))?.status?.conditions as
              { type: string; status: string; message: string }[] | undefined
          )?.find((x) => x.type === "BGPSessions");
          return c?.status === "True" ? c : undefined;
        },
        30_000,
        300,
      );
      expect(sessions.message).toBe("frr (192.0.2.1) Established");
    }
    expect(await bgpStatuses("cluster4")).toEqual([
      expect.objectContaining({ node: "n1", peers: ["frr"], serviceName: "cluster4" }),
      expect.objectContaining({ node: "n2", peers: ["frr"], serviceName: "cluster4" }),
      expect.objectContaining({ node: "n3", peers: ["frr"], serviceName: "cluster4" }),
    ]);
    // Metrics are refreshed every second; the peer label is the address, as upstream's.
    const text = await waitFor(
      "n1's metrics to show the session up",
      async () => {
        const t = await cluster.metrics("n1");
        return /metallb_bgp_session_up\{peer="192\.0\.2\.1"\} 1/.test(t) ? t : undefined;
      },
      30_000,
      300,
    );
    expect(text).toMatch(/metallb_bgp_announced_prefixes_total\{peer="192\.0\.2\.1"\} [1-9]/);
    expect(text).toMatch(/metallb_bgp_updates_total\{peer="192\.0\.2\.1"\} [1-9]/);
  });

  it("SIGTERM with graceful restart: FRR keeps the node's routes (stale) until the new speaker re-sends them", async () => {
    const prefix = `${ips.cluster6}/128`;
    const samples: { present: boolean; stale: boolean }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rib = await frr.rib(6);
        const p = rib.find((r) => r.prefix === prefix && r.nextHop === ADDR6.n1);
        samples.push({ present: !!p, stale: !!p?.stale });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const stopped = cluster.speakers.n1!.stop(20_000); // SIGTERM
    await waitFor(
      "n1's path to be marked stale",
      () => Promise.resolve(samples.some((x) => x.stale) ? true : undefined),
      60_000,
      100,
    );
    await stopped;
    cluster.startSpeaker("n1");
    await waitFor(
      "n1's path to be fresh again",
      () => {
        const last = samples.at(-1);
        const fresh = samples.some((x) => x.stale) && last?.present && !last.stale;
        return Promise.resolve(fresh ? true : undefined);
      },
      90_000,
      100,
    );
    sampling = false;
    await sampler;
    expect(samples.every((x) => x.present)).toBe(true);
  });

  it("traffic policy Local: only the node with a ready endpoint announces, and the route follows the endpoint", async () => {
    await nextHops(ips.local4 ?? "", [ADDR.n1]);
    await cluster.admin.makeApiClient(DiscoveryV1Api).replaceNamespacedEndpointSlice({
      namespace: NS,
      name: "local4-1",
      body: slice("local4", "IPv4", "n2"),
    });
    await nextHops(ips.local4 ?? "", [ADDR.n2]);
    await waitFor(
      "local4's ServiceBGPStatus to move to n2",
      async () => {
        const s = await bgpStatuses("local4");
        return s.length === 1 && s[0]?.node === "n2" ? true : undefined;
      },
      90_000,
      300,
    );
  });

  it("the exclusion label withdraws every route of that node", async () => {
    await core.patchNode(
      { name: "n2", body: { metadata: { labels: { [EXCLUDE]: "" } } } },
      mergePatch,
    );
    await nextHops(ips.cluster4 ?? "", [ADDR.n1, ADDR.n3]);
    await nextHops(ips.cluster6 ?? "", [ADDR6.n1, ADDR6.n3]);
    await nextHops(ips.local4 ?? "", []);
    await core.patchNode(
      { name: "n2", body: { metadata: { labels: { [EXCLUDE]: null } } } },
      mergePatch,
    );
    await nextHops(ips.cluster4 ?? "", ALL4);
  });

  it("a tenant re-points the pool annotation: the router never sees the other pool's communities", async () => {
    const h = cluster.harness;
    await h.createPool(SYSTEM, "premium", { addresses: ["198.51.100.0/28"] });
    await config("BGPAdvertisement", "premium", {
      ipAddressPools: ["premium"],
      communities: ["64512:999"],
    });
    await h.lbService(NS, "tenant4", {
      annotations: { "metallb.io/address-pool": "bgp" },
      spec: { ipFamilies: ["IPv4"] },
    });
    await cluster.admin.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace: NS,
      body: slice("tenant4", "IPv4", "n1"),
    });
    const ip = (await h.waitIngress(NS, "tenant4"))[0] ?? "";
    const prefix = `${ip}/32`;
    for (const p of await nextHops(ip, ALL4)) expect(p.communities).toEqual(["64512:100"]);
    // Every path FRR holds for the prefix, sampled until told to stop.
    const seen: RibPath[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        seen.push(...(await frr.rib(4)).filter((p) => p.prefix === prefix));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // The sampler must have seen the route before the edit (vtysh takes longer than a withdraw).
    const sampled = (after: number) =>
      waitFor(
        "FRR's RIB sampler to show the prefix",
        () => Promise.resolve(seen.length > after || undefined),
        30_000,
        50,
      );
    await sampled(0);
    // The controller would restore the annotation at once: stopped, the edit stays.
    const controller = cluster.controller!;
    process.kill(controller.pid, "SIGSTOP");
    try {
      await core.patchNamespacedService(
        {
          namespace: NS,
          name: "tenant4",
          body: { metadata: { annotations: { "metallb.io/ip-allocated-from-pool": "premium" } } },
        },
        mergePatch,
      );
      await nextHops(ip, []);
      const event = await h.waitEvent(NS, "tenant4", "PoolAnnotationMismatch");
      expect(event.message).toMatch(/says "premium", but .* is in pool bgp: not announced/);
      const condition = await waitFor(
        "speaker-n3's AddressesAnnounceable condition to name tenant4",
        async () => {
          const c = (
            (await configurationState("n3"))?.status?.conditions as
              { type: string; status: string; message: string }[] | undefined
          )?.find((x) => x.type === "AddressesAnnounceable");
          return c?.status === "False" ? c : undefined;
        },
        30_000,
        300,
      );
      expect(condition.message).toContain(`${NS}/tenant4 ${ip}`);
    } finally {
      process.kill(controller.pid, "SIGCONT");
    }
    // The controller restores the annotation; the route returns with its own pool's community.
    for (const p of await nextHops(ip, ALL4)) expect(p.communities).toEqual(["64512:100"]);
    await sampled(seen.length);
    sampling = false;
    await sampler;
    expect(seen.filter((p) => p.communities.includes("64512:999"))).toEqual([]);
  });

  it("deleting the Service withdraws its prefix from FRR and removes its ServiceBGPStatus objects", async () => {
    await core.deleteNamespacedService({ namespace: NS, name: "cluster4" });
    await nextHops(ips.cluster4 ?? "", []);
    await waitFor(
      "cluster4's ServiceBGPStatus objects to go",
      async () => ((await bgpStatuses("cluster4")).length === 0 ? true : undefined),
      90_000,
      300,
    );
    // The other Services stay announced.
    await nextHops(ips.cluster6 ?? "", ALL6);
  });

  it("a BGPPeer the native speaker cannot serve: a Warning event and the ConfigurationState name it", async () => {
    await config("BGPPeer", "vrf-peer", {
      myASN: 64513,
      peerASN: 64512,
      peerAddress: "192.0.2.1",
      vrf: "red",
    });
    const state = await waitFor(
      "speaker-n2's ConfigurationState to name vrf-peer",
      async () => {
        const s = await configurationState("n2");
        return /BGPPeer vrf-peer: vrf "red"/.test(s?.status?.errorSummary ?? "") ? s : undefined;
      },
      90_000,
      300,
    );
    expect(state.status?.result).toBe("Invalid");
    const events = await core.listNamespacedEvent({ namespace: SYSTEM });
    expect(
      events.items.some(
        (e) =>
          e.reason === "InvalidConfiguration" &&
          e.involvedObject.name === "vrf-peer" &&
          /FRR mode/.test(e.message ?? ""),
      ),
    ).toBe(true);
    // The valid peer keeps its session and routes.
    await nextHops(ips.cluster6 ?? "", ALL6);
  });

  it("aggregation shorter than the pool: named in the ConfigurationState", async () => {
    // (Conflicting localPref matters on iBGP sessions only: tests/unit covers it.)
    await config("BGPAdvertisement", "agg", {
      ipAddressPools: ["bgp"],
      aggregationLength: 24,
    });
    const summary = await waitFor(
      "speaker-n1's ConfigurationState to name the aggregation problem",
      async () => {
        const s = (await configurationState("n1"))?.status?.errorSummary ?? "";
        return /BGPAdvertisement agg: /.test(s) ? s : undefined;
      },
      90_000,
      300,
    );
    expect(summary).toMatch(/aggregationLength 24 is shorter than \/28 in pool bgp/);
  });
});
