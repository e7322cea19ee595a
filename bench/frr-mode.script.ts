// FRR mode against native mode, in the three-node speaker lab (API server, controller, three
// speakers from the esbuild bundle; in FRR mode each with its own FRR and agent), with an FRR
// router upstream:
//  1. failure detection after a node's link is cut: FRR mode with BFD at the lab-bgp profile
//     (300 ms × 3), `--cuts` times, until the router's BFD peer is down and the node's next hop
//     is gone; native mode without BFD, where only the hold time (9 s here) ends the session;
//  2. a Service's address to the router's RIB, one Service, then `--services` at once;
//  3. the reload cost with 100 peers: a community change, time until FRR runs it (agent).
// Run: npx tsx bench/frr-mode.script.ts [--cuts 20] [--native-cuts 3] [--services 1000]
//      [--modes frr,native] [--no-reload]
import { startFrr, type FrrRouter } from "../src/lab/net/index.js";
import { startFrrNode } from "../src/lab/net/frr-node.js";
import { Lab } from "../src/lab/net/lab.js";
import {
  nodeAddress,
  NODES,
  startSpeakerLab,
  SYSTEM,
  type SpeakerLab,
} from "../src/lab/speaker-lab.js";
import { parseConfig } from "../src/model/index.js";
import { FrrAgentClient } from "../src/runtime/speaker/frr/agent-client.js";
import { renderFrrConfig } from "../src/runtime/speaker/frr/render.js";
import { run, waitFor } from "../src/sys/proc.js";
import { writeLatencyQuantiles, writeResult } from "./result.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CUTS = arg("--cuts", 20);
const NATIVE_CUTS = arg("--native-cuts", 3);
const SERVICES = arg("--services", 1000);
const ROUTER = "192.0.2.1";
const NS = "bench";

async function startLab(frrMode: boolean): Promise<{ cluster: SpeakerLab; router: FrrRouter }> {
  let router: FrrRouter | undefined;
  const cluster = await startSpeakerLab({
    frr: frrMode,
    namespaces: [NS],
    extraHosts: [
      { name: "frr", links: [{ segment: "lan", addresses: [`${ROUTER}/24`, "2001:db8::1/64"] }] },
    ],
    beforeSpeakers: async (lab) => {
      router = await startFrr(lab, {
        host: "frr",
        asn: 64512,
        routerId: ROUTER,
        maximumPaths: 4,
        neighbors: NODES.map((n) => ({
          address: nodeAddress(n),
          asn: 64513,
          holdTime: 9,
          families: [4, 6],
          bfd: frrMode,
        })),
      });
    },
  });
  const create = (kind: string, name: string, spec: object) =>
    cluster.harness.createConfig(SYSTEM, kind, name, spec);
  if (frrMode)
    await create("BFDProfile", "lab", {
      receiveInterval: 300,
      transmitInterval: 300,
      detectMultiplier: 3,
    });
  await create("BGPPeer", "router", {
    myASN: 64513,
    peerASN: 64512,
    peerAddress: ROUTER,
    holdTime: "9s",
    ...(frrMode ? { bfdProfile: "lab" } : {}),
  });
  await cluster.harness.createPool(SYSTEM, "bgp", {
    addresses: ["203.0.113.0/28", "2001:db8:ff::/112"],
  });
  await create("BGPAdvertisement", "bgp", { ipAddressPools: ["bgp"] });
  // The figures start with every session up (a fresh lab is still connecting).
  await waitFor(
    "the router's sessions with every node",
    async () => {
      const s = await router!.sessions();
      return NODES.every((n) => s[nodeAddress(n)] === "Established") ? true : undefined;
    },
    120_000,
    100,
  );
  return { cluster, router: router! };
}

async function ribHas(router: FrrRouter, family: 4 | 6, prefixes: Set<string>, via: number) {
  const rib = await router.rib(family);
  const hops = new Map<string, number>();
  for (const p of rib)
    if (prefixes.has(p.prefix)) hops.set(p.prefix, (hops.get(p.prefix) ?? 0) + 1);
  return [...prefixes].every((p) => (hops.get(p) ?? 0) >= via);
}

/** Cuts n3's link `cuts` times; each sample is the time until n3's next hop left the router's RIB. */
async function cutLoop(
  cluster: SpeakerLab,
  router: FrrRouter,
  ip: string,
  cuts: number,
  bfd: boolean,
) {
  const sw = cluster.lab.names.switchNs;
  const n3 = nodeAddress("n3");
  const samples: number[] = [];
  for (let i = 0; i < cuts; i++) {
    await waitFor(
      "all three next hops",
      () => ribHas(router, 4, new Set([`${ip}/32`]), 3).then((ok) => ok || undefined),
      180_000,
      100,
    );
    if (bfd)
      await waitFor(
        "n3's BFD session up",
        async () => ((await router.bfdPeers())[n3] === "up" ? true : undefined),
        60_000,
        100,
      );
    const t0 = performance.now();
    await run(["ip", "-n", sw, "link", "set", "n3-0", "down"]);
    await waitFor(
      "n3's next hop to leave the router's RIB",
      async () => {
        const rib = await router.rib(4);
        return rib.some((p) => p.prefix === `${ip}/32` && p.nextHop === n3) ? undefined : true;
      },
      120_000,
      10,
    );
    samples.push(performance.now() - t0);
    await run(["ip", "-n", sw, "link", "set", "n3-0", "up"]);
    console.log(`  cut ${i + 1}/${cuts}: ${samples.at(-1)!.toFixed(0)} ms`);
  }
  return samples;
}

async function toRib(
  cluster: SpeakerLab,
  router: FrrRouter,
  count: number,
  tag: string,
): Promise<number> {
  const t0 = performance.now();
  const names = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
  for (const n of names) await cluster.service(NS, n, count === 1 ? "IPv4" : "IPv6");
  const wanted = new Set(names);
  const ips = await waitFor(
    `${count} Services to get addresses`,
    async () => {
      const list = await cluster.core.listNamespacedService({ namespace: NS });
      const got = list.items
        .filter((s) => wanted.has(s.metadata?.name ?? ""))
        .flatMap((s) => s.status?.loadBalancer?.ingress?.map((i) => i.ip ?? "") ?? []);
      return got.length === count ? got : undefined;
    },
    600_000,
    200,
  );
  const family = count === 1 ? 4 : 6;
  const prefixes = new Set(ips.map((i) => `${i}/${family === 4 ? 32 : 128}`));
  await waitFor(
    `${count} prefixes in the router's RIB`,
    () => ribHas(router, family, prefixes, 3).then((ok) => ok || undefined),
    600_000,
    100,
  );
  return performance.now() - t0;
}

async function reloadCost(): Promise<{ first: number; change: number }> {
  const lab = await Lab.create({
    segments: ["lan"],
    hosts: [{ name: "n1", links: [{ segment: "lan", addresses: ["192.0.2.11/24"] }] }],
  });
  try {
    const node = await startFrrNode(lab, "n1");
    const agent = new FrrAgentClient(node.socket);
    const peers = Array.from({ length: 100 }, (_, i) => ({
      name: `p${i}`,
      spec: { myASN: 64513, peerASN: 64512, peerAddress: `198.51.100.${i + 1}`, bfdProfile: "lab" },
    }));
    const render = (community: string) => {
      const config = parseConfig(
        { bgpPeers: peers, bfdProfiles: [{ name: "lab", spec: { receiveInterval: 300 } }] },
        { namespace: SYSTEM },
      );
      const routes = new Map(
        peers.map((p) => [
          p.name,
          [
            {
              prefix: "203.0.113.1/32",
              family: 4 as const,
              communities: [community],
              largeCommunities: [],
              services: [],
            },
          ],
        ]),
      );
      return renderFrrConfig({
        node: { name: "n1", ipv4: "192.0.2.11" },
        peers: config.peers,
        routes,
        bfdProfiles: config.bfdProfiles,
        ctx: { namespace: SYSTEM, secrets: new Map() },
      }).text;
    };
    const timed = async (text: string) => {
      const t0 = performance.now();
      const r = await agent.reload(text);
      if (!r.ok) throw new Error(`reload refused: ${r.message}`);
      return performance.now() - t0;
    };
    const first = await timed(render("64512:100"));
    const change = await timed(render("64512:200"));
    return { first, change };
  } finally {
    await lab.destroy();
  }
}

const reload = process.argv.includes("--no-reload") ? undefined : await reloadCost();
if (reload) {
  console.log(
    `reload with 100 peers: first ${reload.first.toFixed(0)} ms, a community change ${reload.change.toFixed(0)} ms`,
  );
  writeResult({
    name: "frr-reload-100-peers-change",
    unit: "ms",
    value: Math.round(reload.change),
    params: { firstApplyMs: Math.round(reload.first) },
  });
}

const ribTimes: Record<string, Record<number, number>> = {};
const modes = (
  process.argv.includes("--modes")
    ? process.argv[process.argv.indexOf("--modes") + 1]!.split(",")
    : ["frr", "native"]
) as ("frr" | "native")[];
for (const mode of modes) {
  const { cluster, router } = await startLab(mode === "frr");
  try {
    ribTimes[mode] = {};
    ribTimes[mode][1] = await toRib(cluster, router, 1, "one");
    console.log(`${mode}: one Service → RIB ${ribTimes[mode][1].toFixed(0)} ms`);
    const ip = (await cluster.harness.waitIngress(NS, "one-0"))[0]!;
    const samples = await cutLoop(
      cluster,
      router,
      ip,
      mode === "frr" ? CUTS : NATIVE_CUTS,
      mode === "frr",
    );
    if (samples.length)
      writeLatencyQuantiles(`${mode}-mode-link-cut-detection`, samples, {
        cuts: samples.length,
        detection: mode === "frr" ? "BFD 300 ms x 3" : "hold time 9 s",
      });
    ribTimes[mode][SERVICES] = await toRib(cluster, router, SERVICES, "many");
    console.log(`${mode}: ${SERVICES} Services → RIB ${ribTimes[mode][SERVICES].toFixed(0)} ms`);
    for (const [count, ms] of Object.entries(ribTimes[mode]))
      writeResult({
        name: `${mode}-mode-services-${count}-to-rib`,
        unit: "ms",
        value: Math.round(ms),
        params: { services: Number(count) },
      });
  } finally {
    await router.stop().catch(() => undefined);
    await cluster.stop();
  }
}
