// BGP at scale, against real FRR and GoBGP in lab namespaces:
//  1. the time from the first UPDATE on the wire until FRR's RIB holds every prefix, for our
//     speaker and for GoBGP sending the same prefixes to the same FRR, round after round;
//  2. our speaker's RSS while it announces the prefixes to two peers (FRR and GoBGP).
// The lab may only use documentation addresses, so the 10,000 prefixes are IPv6 /128s in
// 2001:db8::/32; the IPv4 figure uses every /32 the three IPv4 documentation /24s leave after
// the lab's own link (752).
// Run: npx tsx bench/bgp-scale.script.ts [--prefixes N] [--rounds R]
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { startSpeaker, type LabSpeaker } from "../src/lab/net/bgp-speaker.js";
import {
  Lab,
  startFrr,
  startGobgp,
  type FrrRouter,
  type GobgpRouter,
} from "../src/lab/net/index.js";
import { waitFor } from "../src/sys/proc.js";
import { systemTool } from "../src/sys/tools.js";
import type { PeerConfig, Route } from "../src/runtime/bgp/index.js";
import { captureUpdates } from "./lib/update-capture.js";
import { quantile, writeResult } from "./result.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const PREFIXES = arg("--prefixes", 10_000);
const ROUNDS = arg("--rounds", 5);
// The IPv6 prefixes are numbered inside one /112 (see ipv6Prefixes).
if (!Number.isInteger(PREFIXES) || PREFIXES < 1 || PREFIXES > 0xffff)
  throw new Error(`--prefixes must be an integer 1..65535, not ${PREFIXES}`);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a positive integer`);

type Family = 4 | 6;
const FRR = { host: "frr", asn: 64512, v4: "192.0.2.1", v6: "2001:db8:0:1::1" };
const OURS = { host: "ours", asn: 64513, v4: "192.0.2.2", v6: "2001:db8:0:1::2" };
const GOBGP = { host: "gobgp", asn: 64514, v4: "192.0.2.3", v6: "2001:db8:0:1::3" };
type Speaker = typeof OURS | typeof GOBGP;
const addr = (s: { v4: string; v6: string }, f: Family) => (f === 4 ? s.v4 : s.v6);

/** 2001:db8:100::1/128 upwards, inside 2001:db8:100::/112. */
function ipv6Prefixes(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `2001:db8:100::${(i + 1).toString(16)}/128`);
}

/** The lab link is 192.0.2.0/28; every other address of the three /24s is a prefix (752). */
function ipv4Prefixes(max: number): string[] {
  const out: string[] = [];
  for (const [net, from] of [
    ["192.0.2", 16],
    ["198.51.100", 0],
    ["203.0.113", 0],
  ] as const) {
    for (let h = from; h < 256; h++) out.push(`${net}.${h}/32`);
  }
  return out.slice(0, max);
}

const PREFIX_SETS: Record<Family, string[]> = {
  6: ipv6Prefixes(PREFIXES),
  4: ipv4Prefixes(PREFIXES),
};
const routes = (f: Family): Route[] =>
  PREFIX_SETS[f].map((prefix) => ({ prefix, communities: [], largeCommunities: [] }));

const log = (m: string) =>
  console.error(`[bgp-scale ${new Date().toISOString().slice(11, 19)}] ${m}`);
const load1 = () => Math.round((loadavg()[0] ?? 0) * 100) / 100;

interface PeerSummary {
  state?: string;
  pfxRcd?: number;
}

/** FRR's per-neighbor counters for one family: the cheapest way to ask "has it all?". */
async function summary(frr: FrrRouter, f: Family): Promise<Record<string, PeerSummary>> {
  const json = JSON.parse(await frr.vtysh([`show bgp ipv${f} unicast summary json`])) as {
    peers?: Record<string, PeerSummary>;
  };
  return json.peers ?? {};
}

/** `neighbor … shutdown` on FRR's side: the same switch for both speakers. */
async function setShutdown(frr: FrrRouter, neighbors: string[], shut: boolean): Promise<void> {
  const no = shut ? "" : "no ";
  await frr.vtysh([
    "configure terminal",
    `router bgp ${FRR.asn}`,
    ...neighbors.map((n) => `${no}neighbor ${n} shutdown`),
  ]);
}

/** FRR only listens: it announces nothing, so its work is the same for either speaker. */
async function announceNothing(frr: FrrRouter, neighbors: Record<Family, string[]>) {
  const cmds = ["configure terminal", "route-map BENCH-NOTHING deny 10", "exit"];
  cmds.push(`router bgp ${FRR.asn}`);
  for (const f of [4, 6] as const) {
    cmds.push(`address-family ipv${f} unicast`);
    for (const n of neighbors[f]) cmds.push(`neighbor ${n} route-map BENCH-NOTHING out`);
    cmds.push("exit-address-family");
  }
  await frr.vtysh(cmds);
}

/**
 * GoBGP's CLI takes one prefix per call; xargs runs four at a time inside its namespace (the
 * CLI's default API address, 127.0.0.1:50051, is where the lab's gobgpd listens).
 */
async function loadGobgp(lab: Lab, gobgp: GobgpRouter, f: Family): Promise<void> {
  const file = join(lab.dir, `gobgp-prefixes-v${f}.txt`);
  writeFileSync(file, PREFIX_SETS[f].join("\n") + "\n");
  await lab.exec(
    GOBGP.host,
    [
      systemTool("xargs"),
      "-a",
      file,
      "-P",
      "4",
      "-L",
      "1",
      systemTool("gobgp"),
      "global",
      "rib",
      "add",
      "-a",
      `ipv${f}`,
    ],
    { timeoutMs: 900_000 },
  );
  const out = await gobgp.cli(["global", "rib", "summary", "-a", `ipv${f}`]);
  const held = Number(/Destination:\s*(\d+)/.exec(out)?.[1]);
  if (held !== PREFIX_SETS[f].length)
    throw new Error(`GoBGP holds ${held} IPv${f} prefixes, expected ${PREFIX_SETS[f].length}`);
}

interface RoundTiming {
  /** First UPDATE on the wire → FRR's summary shows every prefix (ms). */
  toAll: number;
  /** First UPDATE → last data segment on the wire: the speaker's own sending time (ms). */
  sendSpan: number;
  /** UPDATE messages FRR counted on this session (End-of-RIB included). */
  updates: number;
  /** FRR's `no neighbor shutdown` → first UPDATE (session set-up; not part of the figure). */
  setup: number;
  /**
   * FRR's KEEPALIVE that makes the speaker Established → first UPDATE: what a speaker prepares
   * before it sends (ours plans and encodes the whole table first).
   */
  establishedToFirst: number;
}

/** FRR's count of UPDATEs received from a neighbor, over all its sessions. */
async function updatesReceived(frr: FrrRouter, neighbor: string): Promise<number> {
  const json = JSON.parse(await frr.vtysh([`show bgp neighbors ${neighbor} json`])) as Record<
    string,
    { messageStats?: { updatesRecv?: number } }
  >;
  return json[neighbor]?.messageStats?.updatesRecv ?? 0;
}

/**
 * One round: capture armed, FRR lets the neighbor in, the speaker sends its whole table on the
 * new session; the summary is polled until the count is complete, then the neighbor is shut
 * again and its routes are gone before the next round.
 */
async function round(lab: Lab, frr: FrrRouter, s: Speaker, f: Family): Promise<RoundTiming> {
  const neighbor = addr(s, f);
  const want = PREFIX_SETS[f].length;
  const before = await updatesReceived(frr, neighbor);
  const cap = captureUpdates(lab, FRR.host, "eth0", { router: addr(FRR, f), speaker: neighbor });
  await cap.ready();
  const opened = Date.now();
  await setShutdown(frr, [neighbor], false);
  // The poll's own cost (a vtysh process, ~10–30 ms) bounds the resolution of the end time.
  const allAt = await waitFor(
    `FRR to hold ${want} IPv${f} prefixes from ${s.host}`,
    async () => (((await summary(frr, f))[neighbor]?.pfxRcd ?? 0) >= want ? Date.now() : undefined),
    300_000,
    20,
  );
  const { established, first, last } = await cap.stop();
  const updates = (await updatesReceived(frr, neighbor)) - before;
  await setShutdown(frr, [neighbor], true);
  await waitFor(
    `FRR to drop ${s.host}'s IPv${f} routes`,
    async () => {
      const p = (await summary(frr, f))[neighbor];
      return p?.state !== "Established" && !p?.pfxRcd ? true : undefined;
    },
    120_000,
    100,
  );
  const ms = (x: number) => Math.round(x * 10) / 10;
  return {
    toAll: ms(allAt - first),
    sendSpan: ms(last - first),
    updates,
    setup: ms(first - opened),
    establishedToFirst: ms(first - established),
  };
}

function kib(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s*(\\d+) kB`, "m").exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  if (!m) throw new Error(`no ${field} for PID ${pid}`);
  return Number(m[1]);
}
const mib = (k: number) => Math.round((k / 1024) * 10) / 10;

const ourPeer = (to: { v4: string; v6: string; asn: number }, f: Family): PeerConfig => ({
  address: addr(to, f),
  localAsn: OURS.asn,
  peerAsn: to.asn,
  routerId: OURS.v4,
  families: [f],
  // FRR's shutdown sends a Cease; a short backoff brings the session back soon after the
  // next `no shutdown` (session set-up is outside the timed interval anyway).
  connectRetry: { initialMs: 500, maxMs: 2000 },
});

/**
 * A fresh speaker with sessions to FRR and GoBGP (IPv6): RSS idle with both sessions up, then
 * the prefixes to both, sampled until both peers hold them all and for a while after.
 */
async function measureRss(lab: Lab, frr: FrrRouter, gobgp: GobgpRouter) {
  const want = PREFIX_SETS[6].length;
  // GoBGP must only receive here: its own copies would come back to our speaker.
  for (const f of [4, 6] as const)
    await gobgp.cli(["global", "rib", "del", "all", "-a", `ipv${f}`]);
  await setShutdown(frr, [OURS.v6], false);
  const speaker = await startSpeaker(lab, OURS.host);
  try {
    for (const to of [FRR, GOBGP]) await speaker.addPeer(ourPeer(to, 6));
    await waitFor(
      "both of our sessions up",
      async () =>
        (await speaker.stats()).filter((s) => s.state === "Established").length === 2
          ? true
          : undefined,
      60_000,
      100,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const idle = kib(speaker.pid, "VmRSS");
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(kib(speaker.pid, "VmRSS")), 100);
    const started = Date.now();
    await speaker.setRoutes(routes(6));
    await waitFor(
      `both peers to hold ${want} prefixes from our speaker`,
      async () => {
        const atFrr = (await summary(frr, 6))[OURS.v6]?.pfxRcd ?? 0;
        const atGobgp = await gobgp.cli(["global", "rib", "summary", "-a", "ipv6"]);
        const n = Number(/Destination:\s*(\d+)/.exec(atGobgp)?.[1] ?? 0);
        return atFrr >= want && n >= want ? true : undefined;
      },
      300_000,
      100,
    );
    const bothHold = Date.now() - started;
    // Steady: after the burst, once the garbage collector has had time to give memory back.
    await new Promise((r) => setTimeout(r, 10_000));
    clearInterval(sampler);
    const tail = samples.slice(-20).sort((a, b) => a - b);
    const stats = await speaker.stats();
    return {
      idleMib: mib(idle),
      peakMib: mib(kib(speaker.pid, "VmHWM")),
      steadyMib: mib(quantile(tail, 0.5)),
      bothHoldMs: bothHold,
      updatesSent: stats.map((s) => ({ peer: s.peer, updates: s.updatesSent })),
    };
  } finally {
    await speaker.stop();
  }
}

const lab = await Lab.create({
  segments: ["lan"],
  hosts: [FRR, OURS, GOBGP].map((h) => ({
    name: h.host,
    links: [{ segment: "lan", addresses: [`${h.v4}/28`, `${h.v6}/64`] }],
  })),
});
const timings: Record<Family, Record<"ours" | "gobgp", RoundTiming[]>> = {
  4: { ours: [], gobgp: [] },
  6: { ours: [], gobgp: [] },
};
const loadAtStart = load1();
let rss: Awaited<ReturnType<typeof measureRss>> | undefined;
try {
  const speakers = [OURS, GOBGP];
  const frrNeighbors = speakers.flatMap((s) =>
    ([4, 6] as const).map((f) => ({ address: addr(s, f), asn: s.asn, families: [f] })),
  );
  const frr = await startFrr(lab, {
    host: FRR.host,
    asn: FRR.asn,
    routerId: FRR.v4,
    neighbors: frrNeighbors,
  });
  await setShutdown(
    frr,
    frrNeighbors.map((n) => n.address),
    true,
  );
  await announceNothing(frr, { 4: [OURS.v4, GOBGP.v4], 6: [OURS.v6, GOBGP.v6] });
  const gobgp = await startGobgp(lab, {
    host: GOBGP.host,
    asn: GOBGP.asn,
    routerId: GOBGP.v4,
    neighbors: [
      ...([4, 6] as const).map((f) => ({ address: addr(FRR, f), asn: FRR.asn, families: [f] })),
      // Our speaker, for the RSS phase only; it waits for us to connect.
      { address: OURS.v6, asn: OURS.asn, families: [6], passive: true },
    ],
  });
  for (const f of [4, 6] as const) {
    const t = Date.now();
    await loadGobgp(lab, gobgp, f);
    log(`GoBGP holds ${PREFIX_SETS[f].length} IPv${f} prefixes (${Date.now() - t} ms to load)`);
  }
  const ours: LabSpeaker = await startSpeaker(lab, OURS.host);
  for (const f of [4, 6] as const) {
    await ours.addPeer(ourPeer(FRR, f));
    await ours.setRoutes(routes(f), addr(FRR, f));
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate who goes first, so that a warmer FRR does not always favour the same one.
    const order = r % 2 ? [GOBGP, OURS] : [OURS, GOBGP];
    for (const f of [6, 4] as const) {
      for (const s of order) {
        const t = await round(lab, frr, s, f);
        timings[f][s === OURS ? "ours" : "gobgp"].push(t);
        log(
          `round ${r + 1}/${ROUNDS} IPv${f} ${s.host}: ${t.toAll} ms first UPDATE → all ${PREFIX_SETS[f].length} in FRR; sent in ${t.sendSpan} ms as ${t.updates} UPDATEs (set-up ${t.setup} ms, first UPDATE ${t.establishedToFirst} ms after Established; load ${load1()})`,
        );
      }
    }
  }
  await ours.stop();
  rss = await measureRss(lab, frr, gobgp);
  log(`RSS: ${JSON.stringify(rss)}`);
} finally {
  await lab.destroy();
}

const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
const loadAtEnd = load1();
for (const f of [6, 4] as const) {
  const n = PREFIX_SETS[f].length;
  const params = {
    prefixes: n,
    prefixLength: f === 4 ? 32 : 128,
    rounds: ROUNDS,
    ours: timings[f].ours,
    gobgp: timings[f].gobgp,
    load1AtStart: loadAtStart,
    load1AtEnd: loadAtEnd,
    method:
      "first UPDATE from the speaker (tcpdump in FRR's namespace) → FRR's `show bgp ipvX unicast summary json` pfxRcd reaches the count (polled every 20 ms); established: FRR's KEEPALIVE that completes the speaker's handshake, on the wire; sendSpan: first UPDATE → last data segment; median of rounds",
  };
  const name = `bgp-scale-ipv${f}-${n}`;
  const med = (who: "ours" | "gobgp", of: (t: RoundTiming) => number) =>
    median(timings[f][who].map(of));
  const toAll = (t: RoundTiming) => t.toAll;
  const fromEstablished = (t: RoundTiming) =>
    Math.round((t.establishedToFirst + t.toAll) * 10) / 10;
  const ratio = (of: (t: RoundTiming) => number) =>
    Math.round((med("ours", of) / med("gobgp", of)) * 100) / 100;
  for (const [what, unit, value] of [
    ["ours-to-all", "ms", med("ours", toAll)],
    ["gobgp-to-all", "ms", med("gobgp", toAll)],
    ["ratio-ours-vs-gobgp", "×", ratio(toAll)],
    ["ours-established-to-all", "ms", med("ours", fromEstablished)],
    ["gobgp-established-to-all", "ms", med("gobgp", fromEstablished)],
    ["ratio-established-to-all-ours-vs-gobgp", "×", ratio(fromEstablished)],
    ["ours-send-span", "ms", med("ours", (t) => t.sendSpan)],
    ["gobgp-send-span", "ms", med("gobgp", (t) => t.sendSpan)],
  ] as const) {
    const file = writeResult({ name: `${name}-${what}`, unit, value, params });
    console.log(`${name}-${what}: ${value} ${unit}  (${file})`);
  }
}
if (rss) {
  const params = { prefixes: PREFIX_SETS[6].length, peers: ["FRR", "GoBGP"], ...rss };
  for (const [what, value] of [
    ["idle", rss.idleMib],
    ["peak", rss.peakMib],
    ["steady", rss.steadyMib],
  ] as const) {
    const name = `bgp-scale-rss-${PREFIX_SETS[6].length}-two-peers-${what}`;
    const file = writeResult({ name, unit: "MiB", value, params });
    console.log(`${name}: ${value} MiB  (${file})`);
  }
}
