// FRR mode end to end, real parts only: the API server, the controller, three `metallb-ts
// speaker --bgp-backend frr` processes, each driving its own FRR (zebra, bgpd, bfdd) through the
// FRR agent in its node's namespace, as the chart's sidecar does; upstream an FRR router (eBGP)
// and a BIRD router (iBGP), both with BFD at the lab-bgp profile (300 ms × 3) and a 90 s hold time.
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBird, startFrr, type BgpRouter, type FrrRouter } from "../../src/lab/net/index.js";
import {
  nodeAddress,
  nodeAddress6,
  NODES,
  startSpeakerLab,
  type SpeakerLab,
  SYSTEM,
} from "../../src/lab/speaker-lab.js";
import { FrrAgentClient } from "../../src/runtime/speaker/frr/agent-client.js";
import { run, waitFor } from "../../src/sys/proc.js";
import { sample } from "../../src/lab/cluster.js";

const NS = "frr-e2e";
const FRR_ROUTER = "192.0.2.1";
const BIRD_ROUTER = "192.0.2.3";
const ALL4 = NODES.map(nodeAddress);
const ALL6 = NODES.map(nodeAddress6);
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Whether this kernel makes VRF devices (probed in a scratch namespace). */
const VRF_DEVICES = await (async () => {
  const ns = `mlbts-vrfprobe-${process.pid}`;
  try {
    await run(["ip", "netns", "add", ns]);
    await run(["ip", "-n", ns, "link", "add", "probe", "type", "vrf", "table", "10"]);
    return true;
  } catch {
    return false;
  } finally {
    await run(["ip", "netns", "del", ns]).catch(() => undefined);
  }
})();

let cluster: SpeakerLab;
let frr: FrrRouter;
let bird: BgpRouter;
const ips: Record<string, string> = {};

const create = (kind: string, name: string, spec: object) =>
  cluster.harness.createConfig(SYSTEM, kind, name, spec);

/** The router's paths for one address, once their next hops are exactly `want`. */
async function nextHops(router: BgpRouter, ip: string, want: string[], timeoutMs = 90_000) {
  const family = ip.includes(":") ? 6 : 4;
  const prefix = `${ip}/${family === 4 ? 32 : 128}`;
  let last: string[] = [];
  return waitFor(
    `${router.kind} to hold ${prefix} via [${want.join(", ")}]`,
    async () => {
      const paths = (await router.rib(family)).filter((p) => p.prefix === prefix);
      last = paths.map((p) => p.nextHop).sort();
      return JSON.stringify(last) === JSON.stringify([...want].sort()) ? paths : undefined;
    },
    timeoutMs,
    100,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last seen [${last.join(", ")}]\n${cluster.logs()}`);
  });
}

type Condition = { type: string; status: string; reason: string; message: string };
async function conditions(node: string): Promise<Condition[]> {
  const s = (await cluster.custom
    .getNamespacedCustomObject({
      group: "metallb.io",
      version: "v1beta1",
      namespace: SYSTEM,
      plural: "configurationstates",
      name: `speaker-${node}`,
    })
    .catch(() => undefined)) as { status?: { conditions?: Condition[]; errorSummary?: string } };
  return s?.status?.conditions ?? [];
}

/** FRR's own count of sessions established per neighbor: a reset raises it. */
async function establishedCounts(): Promise<Record<string, number>> {
  const all = JSON.parse(await frr.vtysh(["show bgp neighbors json"])) as Record<
    string,
    { connectionsEstablished?: number }
  >;
  return Object.fromEntries(ALL4.map((a) => [a, all[a]?.connectionsEstablished ?? -1]));
}

beforeAll(async () => {
  cluster = await startSpeakerLab({
    frr: true,
    namespaces: [NS],
    extraHosts: [
      {
        name: "frr",
        links: [{ segment: "lan", addresses: [`${FRR_ROUTER}/24`, "2001:db8::1/64"] }],
      },
      {
        name: "bird",
        links: [{ segment: "lan", addresses: [`${BIRD_ROUTER}/24`, "2001:db8::3/64"] }],
      },
      { name: "vrfr", links: [{ segment: "lan", addresses: ["192.0.2.5/24"] }] },
    ],
    beforeSpeakers: async (lab) => {
      frr = await startFrr(lab, {
        host: "frr",
        asn: 64512,
        routerId: FRR_ROUTER,
        maximumPaths: 4,
        neighbors: ALL4.map((address) => ({
          address,
          asn: 64513,
          holdTime: 90,
          families: [4, 6],
          bfd: true,
        })),
      });
      bird = await startBird(lab, {
        host: "bird",
        asn: 64513,
        routerId: BIRD_ROUTER,
        neighbors: ALL4.map((address) => ({ address, asn: 64513, holdTime: 90, bfd: true })),
      });
    },
  });
  const h = cluster.harness;
  await create("BFDProfile", "lab", {
    receiveInterval: 300,
    transmitInterval: 300,
    detectMultiplier: 3,
  });
  for (const [name, address, asn] of [
    ["frr-router", FRR_ROUTER, 64512],
    ["bird-router", BIRD_ROUTER, 64513],
  ] as const)
    await create("BGPPeer", name, {
      myASN: 64513,
      peerASN: asn,
      peerAddress: address,
      holdTime: "90s",
      bfdProfile: "lab",
      enableGracefulRestart: true,
    });
  await h.createPool(SYSTEM, "bgp", { addresses: ["203.0.113.0/28", "2001:db8:ff::/124"] });
  await create("BGPAdvertisement", "bgp", {
    ipAddressPools: ["bgp"],
    communities: ["64512:100", "large:64513:1:2"],
    localPref: 150,
  });
  for (const [name, family] of [
    ["web4", "IPv4"],
    ["web6", "IPv6"],
  ] as const) {
    await cluster.service(NS, name, family); // one ready endpoint on n1
    ips[name] = (await h.waitIngress(NS, name))[0] ?? "";
  }
}, 300_000);

afterAll(async () => {
  await frr?.stop().catch(() => undefined);
  await bird?.stop().catch(() => undefined);
  await cluster?.stop();
});

describe("FRR mode: speakers drive FRR, routers peer with BFD", () => {
  it("sessions and BFD come up with both routers; RIBs hold the prefixes with their attributes, IPv4 and IPv6", async () => {
    const paths = await nextHops(frr, ips.web4!, ALL4);
    for (const p of paths) {
      expect(p.asPath).toEqual([64513]);
      expect(p.communities).toEqual(["64512:100"]);
      expect(p.largeCommunities).toEqual(["64513:1:2"]);
    }
    await nextHops(frr, ips.web6!, ALL6);
    // iBGP: the advertisement's localPref reaches BIRD.
    const ibgp = await nextHops(bird, ips.web4!, ALL4);
    for (const p of ibgp) expect(p.localPref).toBe(150);
    const bfd = await waitFor(
      "the FRR router's BFD sessions with every node to be up",
      async () => {
        const peers = await frr.bfdPeers();
        return ALL4.every((a) => peers[a] === "up") ? peers : undefined;
      },
      30_000,
    );
    expect(Object.keys(bfd).sort()).toEqual(ALL4);
    for (const node of NODES) {
      const c = await waitFor(
        `speaker-${node}'s ConfigurationState to report FRR's sessions`,
        async () => {
          const all = await conditions(node);
          const s = all.find((x) => x.type === "BGPSessions");
          const f = all.find((x) => x.type === "FRRConfiguration");
          return s?.status === "True" && f?.status === "True" ? s : undefined;
        },
        60_000,
        300,
      );
      expect(c.message).toBe(
        `bird-router (${BIRD_ROUTER}) Established; frr-router (${FRR_ROUTER}) Established`,
      );
    }
    // Upstream's FRR-mode metrics, read from FRR's own counters.
    const text = await waitFor(
      "n1's metrics to show both BFD sessions up",
      async () => {
        const t = await cluster.metrics("n1");
        return sample(t, "metallb_bfd_session_up") === 2 ? t : undefined;
      },
      30_000,
      300,
    );
    expect(sample(text, "metallb_bgp_session_up", { peer: FRR_ROUTER, vrf: "default" })).toBe(1);
    expect(sample(text, "metallb_bfd_control_packet_input", { peer: FRR_ROUTER })).toBeGreaterThan(
      0,
    );
    expect(sample(text, "metallb_bgp_announced_prefixes_total", { peer: FRR_ROUTER })).toBe(2);
    expect(sample(text, "metallb_ts_frr_reloads_total", { result: "failed" })).toBe(0);
  });

  it("a new Service only adds lines: every node's FRR takes them with vtysh alone, no full reload", async () => {
    const before = await Promise.all(
      NODES.map(async (n) =>
        sample(await cluster.metrics(n), "metallb_ts_frr_incremental_reloads_total"),
      ),
    );
    await cluster.service(NS, "web4b", "IPv4");
    const ip = (await cluster.harness.waitIngress(NS, "web4b"))[0] ?? "";
    const paths = await nextHops(frr, ip, ALL4);
    for (const p of paths) expect(p.communities).toEqual(["64512:100"]);
    // The router may hold the prefix before the agent has answered the speaker.
    for (const [i, n] of NODES.entries()) {
      await waitFor(
        `${n}'s speaker to count an incremental reload`,
        async () => {
          const now = sample(await cluster.metrics(n), "metallb_ts_frr_incremental_reloads_total");
          return now > (before[i] ?? 0) ? true : undefined;
        },
        10_000,
        100,
      );
    }
    // FRR runs the new prefix and its prefix-list entry.
    const running = await cluster.frr.n1!.vtysh("show running-config");
    expect(running).toContain(`network ${ip}/32`);
    expect(running).toMatch(
      new RegExp(
        `ip prefix-list mlb-frr-router-\\w+-ipv4 seq \\d+ permit ${ip.replace(/\./g, "\\.")}/32`,
      ),
    );
  });

  it("a configuration change (a community, a new peer) is applied without resetting any session", async () => {
    const before = await establishedCounts();
    await cluster.custom.patchNamespacedCustomObject(
      {
        group: "metallb.io",
        version: "v1beta1",
        namespace: SYSTEM,
        plural: "bgpadvertisements",
        name: "bgp",
        body: { spec: { communities: ["64512:100", "64512:200", "large:64513:1:2"] } },
      },
      mergePatch,
    );
    await create("BGPPeer", "absent", { myASN: 64513, peerASN: 64599, peerAddress: "192.0.2.9" });
    await waitFor(
      "the FRR router to see the added community on every path",
      async () => {
        const paths = (await frr.rib(4)).filter((p) => p.prefix === `${ips.web4}/32`);
        return paths.length === 3 && paths.every((p) => p.communities.includes("64512:200"))
          ? true
          : undefined;
      },
      60_000,
      200,
    );
    await waitFor(
      "n1's FRR to run the new peer",
      async () =>
        (await cluster.frr.n1!.vtysh("show running-config")).includes("192.0.2.9")
          ? true
          : undefined,
      30_000,
    );
    expect(await establishedCounts()).toEqual(before);
    await cluster.custom.deleteNamespacedCustomObject({
      group: "metallb.io",
      version: "v1beta2",
      namespace: SYSTEM,
      plural: "bgppeers",
      name: "absent",
    });
  });

  it("BFD failover: with n3's link cut, both routers drop its next hop long before the 90 s hold time, and BFD is why", async () => {
    await nextHops(frr, ips.web4!, ALL4);
    const sw = cluster.lab.names.switchNs;
    const cut = Date.now();
    await run(["ip", "-n", sw, "link", "set", "n3-0", "down"]);
    try {
      await nextHops(frr, ips.web4!, [nodeAddress("n1"), nodeAddress("n2")], 20_000);
      const frrMs = Date.now() - cut;
      await nextHops(bird, ips.web4!, [nodeAddress("n1"), nodeAddress("n2")], 20_000);
      expect(frrMs).toBeLessThan(90_000);
      expect((await frr.bfdPeers())[nodeAddress("n3")]).toBe("down");
      expect((await frr.lastResets())[nodeAddress("n3")]).toMatch(/BFD/);
    } finally {
      await run(["ip", "-n", sw, "link", "set", "n3-0", "up"]);
    }
    await nextHops(frr, ips.web4!, ALL4, 120_000);
  });

  // Linux VRF devices need CONFIG_NET_VRF; some kernels (this project's CI VMs among them) lack it.
  it.skipIf(!VRF_DEVICES)(
    "VRF: a peer in a Linux VRF of n1 carries the routes to a router behind it",
    async () => {
      const lab = cluster.lab;
      const n1 = lab.ns("n1");
      const vrfr = lab.ns("vrfr");
      for (const cmd of [
        ["ip", "-n", n1, "link", "add", "red", "type", "vrf", "table", "10"],
        ["ip", "-n", n1, "link", "set", "red", "up"],
        [
          "ip",
          "-n",
          n1,
          "link",
          "add",
          "vrfa",
          "type",
          "veth",
          "peer",
          "name",
          "vrfb",
          "netns",
          vrfr,
        ],
        ["ip", "-n", n1, "link", "set", "vrfa", "master", "red", "up"],
        ["ip", "-n", n1, "addr", "add", "198.51.100.11/24", "dev", "vrfa"],
        ["ip", "-n", vrfr, "addr", "add", "198.51.100.1/24", "dev", "vrfb"],
        ["ip", "-n", vrfr, "link", "set", "vrfb", "up"],
      ])
        await run(cmd);
      const red = await startFrr(lab, {
        host: "vrfr",
        asn: 64520,
        routerId: "198.51.100.1",
        neighbors: [{ address: "198.51.100.11", asn: 64513, holdTime: 9 }],
      });
      try {
        await create("BGPPeer", "red", {
          myASN: 64513,
          peerASN: 64520,
          peerAddress: "198.51.100.1",
          vrf: "red",
          routerID: "192.0.2.11",
          nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": "n1" } }],
        });
        await nextHops(red, ips.web4!, ["198.51.100.11"]);
        expect(await cluster.frr.n1!.vtysh("show running-config")).toContain(
          "router bgp 64513 vrf red",
        );
      } finally {
        await red.stop();
      }
    },
  );

  it("bad input: an invalid BFDProfile is refused naming the field; a key with a line break adds no line to FRR's file", async () => {
    const refused: string = await create("BFDProfile", "bad", {
      detectMultiplier: 1,
    }).then(
      () => "accepted",
      (err: { body?: unknown }) =>
        typeof err.body === "string" ? err.body : JSON.stringify(err.body),
    );
    expect(refused).toMatch(/spec\.detectMultiplier/);

    const hostile = "k\nrouter bgp 1\n neighbor 192.0.2.66 remote-as 1";
    await create("BGPPeer", "hostile", {
      myASN: 64513,
      peerASN: 64598,
      peerAddress: "192.0.2.8",
      password: hostile,
    });
    const state = await waitFor(
      "speaker-n1 to refuse the key",
      async () => {
        const s = (await cluster.custom.getNamespacedCustomObject({
          group: "metallb.io",
          version: "v1beta1",
          namespace: SYSTEM,
          plural: "configurationstates",
          name: "speaker-n1",
        })) as { status?: { errorSummary?: string } };
        return s.status?.errorSummary?.includes("hostile") ? s.status.errorSummary : undefined;
      },
      60_000,
      300,
    );
    expect(state).toMatch(/BGPPeer hostile: spec\.password: the TCP MD5 key is refused/);
    const running = await cluster.frr.n1!.vtysh("show running-config");
    expect(running).not.toContain("192.0.2.66");
    expect(running).not.toMatch(/router bgp 1\b/);
    expect(running).not.toContain("192.0.2.8");
    // The sessions of the good peers still run.
    await nextHops(frr, ips.web4!, ALL4);
  });

  it("a configuration FRR refuses is reported with FRR's words and the running one stays", async () => {
    const agent = new FrrAgentClient(cluster.frr.n2!.socket);
    const res = await agent.reload("router bgp 64513\n neighbor 192.0.2.1 no-such-command\n");
    expect(res).toMatchObject({ ok: false, stage: "check" });
    expect(!res.ok && res.message).toMatch(/line 2: % Unknown command.*no-such-command/);
    const running = await cluster.frr.n2!.vtysh("show running-config");
    expect(running).toContain(`neighbor ${FRR_ROUTER} remote-as 64512`);
    expect(running).toContain(`neighbor ${FRR_ROUTER} bfd profile lab`);
    expect(running).not.toContain("no-such-command");
    expect((await frr.sessions())[nodeAddress("n2")]).toBe("Established");
  });
});
