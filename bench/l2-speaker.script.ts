// L2 through full `metallb-ts speaker` processes (real API server, controller, three speakers in
// node namespaces, a client whose kernel resolves the VIP):
//  failover: SIGKILL of the owner speaker → first gratuitous ARP from the new owner seen at the
//            client, and → the client's neighbour entry pointing at it (p50/p99 over the trials;
//            the killed speaker is restarted between trials);
//  load:     API requests/s from the speakers (kube-apiserver audit log, speaker identity) and
//            heartbeat packets/s (the speakers' own counters) over a steady-state window with
//            10 and with 300 Services: neither may grow with Services.
//  flood:    with --flood RATE, the failover trials run while a foreign host floods the segment
//            with ARP requests and Neighbor Solicitations (RATE frames/s, for the VIP and for
//            addresses nobody owns); also counted: dead verdicts about nodes nobody killed.
// Run: npx tsx bench/l2-speaker.script.ts [--trials N] [--window S] [--only failover|load]
//      [--missed N] (the speakers' --heartbeat-missed; the figures' names then end in -missed-N)
//      [--flood RATE] (failover only; the figures' names end in -flood-<RATE/1000>k)
import { readFileSync } from "node:fs";
import { client } from "../src/lab/net/index.js";
import { waitFor } from "../src/sys/proc.js";
import { startSpeakerLab, type SpeakerLab, NODES, SYSTEM } from "../src/lab/speaker-lab.js";
import { sample } from "../src/lab/cluster.js";
import { writeLatencyQuantiles, writeResult } from "./result.js";
import { L2_NODE_DRIVER, startDriver, type Driver } from "../src/lab/net/drivers/launch.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const trials = Number(arg("trials", "20"));
const windowS = Number(arg("window", "30"));
const only = arg("only", "");
const missed = Number(arg("missed", "5"));
const floodRate = Number(arg("flood", "0"));
const NS = "bench";
const VIP = "192.0.2.100";
const SPEAKER_USER = "system:serviceaccount:metallb-system:speaker";
const log = (m: string) =>
  console.error(`[l2-speaker ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** The suffix every figure name of this run gets: the non-default settings. */
const suffix =
  (missed === 5 ? "" : `-missed-${missed}`) + (floodRate ? `-flood-${floodRate / 1000}k` : "");

function record(name: string, unit: string, value: number, params: Record<string, unknown>) {
  const file = writeResult({
    name: `${name}${suffix}`,
    unit,
    value,
    params: { ...params, missedIntervals: missed },
  });
  console.log(`${name}: ${value} ${unit}  (${file})`);
}

/** Dead verdicts each node has reached about each peer (its counters since it started). */
async function deadCounts(c: SpeakerLab, nodes: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const n of nodes) {
    const m = await c.metrics(n);
    for (const p of NODES)
      out.set(
        `${n}>${p}`,
        sample(m, "metallb_ts_heartbeat_peer_transitions_total", { peer: p, state: "dead" }),
      );
  }
  return out;
}

async function failover(c: SpeakerLab): Promise<void> {
  await c.advertise("lan", [`${VIP}/32`]);
  await c.service(NS, "web", "IPv4");
  const toGarp: number[] = [];
  const toEntry: number[] = [];
  let falseDead = 0;
  let flooder: Driver | undefined;
  if (floodRate) {
    flooder = await startDriver(c.lab, "flooder", L2_NODE_DRIVER);
    const mac = (await c.lab.exec("flooder", ["cat", "/sys/class/net/eth0/address"])).trim();
    const nobody = Array.from({ length: 40 }, (_, i) => `192.0.2.${210 + i}`);
    await flooder.rpc.call("floodStart", {
      interface: "eth0",
      mac,
      targets: [VIP, "2001:db8::100", ...nobody],
      rate: floodRate,
    });
    log(`flooding the segment at ${floodRate} frames/s`);
  }
  for (let t = 0; t < trials; t++) {
    await c.waitForLeases(3);
    await waitFor(
      "every speaker to hear the other two",
      async () => {
        for (const n of NODES) {
          const m = await c.metrics(n);
          const peers = NODES.filter((p) => p !== n);
          // alive transitions outnumber dead/left ones for each peer
          for (const p of peers) {
            const up = sample(m, "metallb_ts_heartbeat_peer_transitions_total", {
              peer: p,
              state: "alive",
            });
            const down =
              sample(m, "metallb_ts_heartbeat_peer_transitions_total", { peer: p, state: "dead" }) +
              sample(m, "metallb_ts_heartbeat_peer_transitions_total", { peer: p, state: "left" });
            if (up <= down) return undefined;
          }
        }
        return true;
      },
      30_000,
      250,
    );
    // Stable: one owner (a restarted speaker may take the VIP back) and the client resolves
    // the VIP to it.
    const owner = await waitFor(
      "the client to resolve the VIP to its one L2 owner",
      async () => {
        const o = await c.l2Owner("web");
        if (!o) return undefined;
        await c.lab.exec("client", ["ping", "-4", "-c1", "-W1", VIP]).catch(() => "");
        return (await client.neighbourMac(c.lab, "client", VIP)) === c.macs[o] ? o : undefined;
      },
      90_000,
      100,
    );
    // A rebalance after a restart can still be on its way (the status trails the wire).
    await new Promise((r) => setTimeout(r, 2000));
    if ((await c.l2Owner("web")) !== owner) {
      t--;
      continue;
    }
    const survivors = NODES.filter((n) => n !== owner);
    const cap = client.capture(
      c.lab,
      "client",
      "eth0",
      `arp and (${survivors.map((n) => `ether src ${c.macs[n]}`).join(" or ")})`,
    );
    await cap.ready();
    const deadBefore = await deadCounts(c, survivors);
    const killedAt = Date.now();
    process.kill(c.speakers[owner]!.pid, "SIGKILL");
    const entryAt = await waitFor(
      "the client's entry to move to a survivor",
      async () => {
        const m = await client.neighbourMac(c.lab, "client", VIP);
        return m && m !== c.macs[owner] ? Date.now() : undefined;
      },
      30_000,
      5,
    );
    await new Promise((r) => setTimeout(r, 300));
    const lines = await cap.stop();
    const first = lines.find(
      (l) =>
        l.includes("> ff:ff:ff:ff:ff:ff") &&
        (l.includes(`who-has ${VIP} tell ${VIP}`) || l.includes(`Reply ${VIP} is-at`)),
    );
    const garpAt = first ? client.captureTime(first, new Date(killedAt)) : undefined;
    if (garpAt === undefined)
      throw new Error(`no gratuitous ARP from a survivor captured:\n${lines.join("\n")}`);
    toGarp.push(garpAt - killedAt);
    toEntry.push(entryAt - killedAt);
    // Verdicts about anyone but the killed owner are false alarms.
    for (const [k, n] of await deadCounts(c, survivors))
      if (!k.endsWith(`>${owner}`)) falseDead += n - (deadBefore.get(k) ?? 0);
    log(
      `trial ${t + 1}/${trials}: ${owner} killed; gratuitous ARP after ${(garpAt - killedAt).toFixed(1)} ms, entry moved after ${entryAt - killedAt} ms`,
    );
    await c.speakers[owner]!.exited;
    c.startSpeaker(owner);
  }
  const flood = await flooder?.rpc.call<{ sent: number; ratePerSecond: number }>("floodStop", {});
  flooder?.rpc.close();
  const params = {
    trials,
    nodes: 3,
    heartbeatIntervalMs: 100,
    missedIntervals: missed,
    ...(flood ? { floodFramesPerSecond: flood.ratePerSecond, floodFrames: flood.sent } : {}),
  };
  writeLatencyQuantiles(`l2-speaker-sigkill-to-first-garp${suffix}`, toGarp, params);
  writeLatencyQuantiles(`l2-speaker-sigkill-to-neighbour-updated${suffix}`, toEntry, params);
  record("l2-speaker-false-dead-verdicts-during-failovers", "transitions", falseDead, params);
}

/** Requests by the speakers that completed within [from, to) (Unix ms), from the audit log. */
function speakerRequests(auditLog: string, from: number, to: number): Map<string, number> {
  const byKind = new Map<string, number>();
  for (const line of readFileSync(auditLog, "utf8").split("\n")) {
    if (!line.includes(SPEAKER_USER)) continue;
    const e = JSON.parse(line) as {
      user?: { username?: string };
      verb?: string;
      objectRef?: { resource?: string };
      stageTimestamp?: string;
    };
    if (e.user?.username !== SPEAKER_USER) continue;
    const at = Date.parse(e.stageTimestamp ?? "");
    if (!(at >= from && at < to)) continue;
    const key = `${e.verb} ${e.objectRef?.resource ?? "?"}`;
    byKind.set(key, (byKind.get(key) ?? 0) + 1);
  }
  return byKind;
}

/** Heartbeats sent, and peers declared dead (no node dies during the window: false alarms). */
async function heartbeatCounts(c: SpeakerLab): Promise<{ sent: number; dead: number }> {
  const out = { sent: 0, dead: 0 };
  for (const n of NODES) {
    const m = await c.metrics(n);
    out.sent += sample(m, "metallb_ts_heartbeat_sent_total");
    out.dead += sample(m, "metallb_ts_heartbeat_peer_transitions_total", { state: "dead" });
  }
  return out;
}

/**
 * IPv6 Services: the lab API server's IPv4 ClusterIP range (a /25) cannot hold 300 Services,
 * its IPv6 one can. Pool 2001:db8:1::/119 gives 512 addresses.
 */
const loadAddress = (i: number) => `2001:db8:1::${i.toString(16)}`;

async function load(c: SpeakerLab): Promise<void> {
  await c.advertise("load", ["2001:db8:1::/119"]);
  let created = 0;
  for (const services of [10, 300]) {
    for (; created < services; created++)
      await c.service(NS, `svc-${created}`, "IPv6", {
        "metallb.io/loadBalancerIPs": loadAddress(created),
      });
    await waitFor(
      `${services} ServiceL2Status objects`,
      async () => {
        const list = (await c.custom.listNamespacedCustomObject({
          group: "metallb.io",
          version: "v1beta1",
          namespace: SYSTEM,
          plural: "servicel2statuses",
        })) as { items: unknown[] };
        return list.items.length >= services || undefined;
      },
      300_000,
      1000,
    );
    // Let the last status writes and events settle before the window opens.
    await new Promise((r) => setTimeout(r, 10_000));
    const from = Date.now();
    const hbBefore = await heartbeatCounts(c);
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const hbAfter = await heartbeatCounts(c);
    const to = Date.now();
    // blocking audit mode: every request of the window is in the file by now
    const requests = speakerRequests(c.env.auditLog!, from, to);
    const total = [...requests.values()].reduce((a, b) => a + b, 0);
    const seconds = (to - from) / 1000;
    const params = {
      nodes: 3,
      services,
      windowSeconds: Math.round(seconds),
      byVerbResource: Object.fromEntries(requests),
    };
    log(`${services} Services: ${total} speaker API requests in ${seconds.toFixed(1)} s`);
    record(
      `l2-speaker-api-requests-per-s-${services}-services`,
      "req/s",
      Math.round((total / seconds) * 100) / 100,
      params,
    );
    record(
      `l2-speaker-heartbeat-packets-per-s-${services}-services`,
      "packets/s",
      Math.round(((hbAfter.sent - hbBefore.sent) / seconds) * 10) / 10,
      { nodes: 3, services, windowSeconds: Math.round(seconds), heartbeatIntervalMs: 100 },
    );
    // On a loaded machine a stalled event loop misses heartbeats: each is a needless handover.
    record(
      `l2-speaker-false-dead-peers-${services}-services`,
      "transitions",
      hbAfter.dead - hbBefore.dead,
      { nodes: 3, services, windowSeconds: Math.round(seconds) },
    );
  }
}

const c = await startSpeakerLab({
  namespaces: [NS],
  audit: true,
  speakerArgs: ["--heartbeat-missed", String(missed)],
  ...(floodRate
    ? {
        extraHosts: [
          { name: "flooder", links: [{ segment: "lan", addresses: ["192.0.2.250/24"] }] },
        ],
      }
    : {}),
});
try {
  if (only !== "load") await failover(c);
  if (only !== "failover" && !floodRate) await load(c);
} finally {
  await c.stop();
}
// Client keep-alive agents may hold the loop open.
process.exit(0);
