// The speaker's memory while a BGP peer stops reading and floods ROUTE-REFRESH (issue 13): a real
// BgpSession on loopback holding 768 routes, against a peer that pauses its socket once
// Established and sends 10,000 refresh requests a second. Each mode runs in a fresh child
// process and records the peak RSS growth over its window:
//   bounded:   the shipped settings (16 MiB write bound → Cease/Out of Resources; one refresh
//              answer per family every 5 s) — also how long until the session was reset;
//   unbounded: no write bound and every refresh answered (the behaviour before), stopped early
//              once it has grown by 1 GiB.
// Run: npx tsx bench/bgp-refresh-flood.script.ts [--window S]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { misbehavingPeer } from "../src/lab/bgp-misbehaving-peer.js";
import { BgpSession, type SessionEvent } from "../src/runtime/bgp/session.js";
import { waitFor } from "../src/sys/proc.js";
import { writeResult } from "./result.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const windowS = Number(arg("window", "20"));
const mode = arg("mode", "");
const MiB = 1024 * 1024;
const CAP = 1024 * MiB;

const routes = ["192.0.2", "198.51.100", "203.0.113"].flatMap((net, n) =>
  Array.from({ length: 256 }, (_, i) => ({
    prefix: `${net}.${i}/32`,
    communities: [`64512:${(n * 256 + i) % 100}`],
    largeCommunities: [],
  })),
);

async function runMode(bounded: boolean): Promise<void> {
  const peer = await misbehavingPeer("floods");
  const s = new BgpSession(
    {
      address: "127.0.0.1",
      port: peer.port,
      localAsn: 64512,
      peerAsn: 64513,
      routerId: "192.0.2.1",
      families: [4],
      connectRetry: { initialMs: 600_000, maxMs: 600_000 },
    },
    bounded ? {} : { maxWriteBuffer: Number.MAX_SAFE_INTEGER, refreshIntervalMs: 0 },
  );
  const events: SessionEvent[] = [];
  s.onEvent((e) => events.push(e));
  s.setRoutes(routes);
  s.start();
  await waitFor(
    "Established",
    () => Promise.resolve(s.state === "Established" || undefined),
    10_000,
    10,
  );
  global.gc?.();
  const base = process.memoryUsage().rss;
  const start = performance.now();
  let peak = 0;
  let resetAfterMs: number | undefined;
  while (performance.now() - start < windowS * 1000) {
    await new Promise((r) => setTimeout(r, 50));
    peak = Math.max(peak, process.memoryUsage().rss - base);
    if (resetAfterMs === undefined && events.some((e) => e.type === "down"))
      resetAfterMs = Math.round(performance.now() - start);
    if (peak > CAP) break;
  }
  const stats = s.stats().routeRefreshes;
  const name = bounded ? "bounded" : "unbounded";
  const params = {
    routes: routes.length,
    refreshRequestsPerSecond: 10_000,
    windowSeconds: Math.round((performance.now() - start) / 1000),
    refreshRequestsSent: peer.sent,
    refreshesAnswered: stats.answered,
    stoppedAtCap: peak > CAP,
    ...(resetAfterMs !== undefined ? { sessionResetAfterMs: resetAfterMs } : {}),
  };
  const file = writeResult({
    name: `bgp-refresh-flood-rss-growth-${name}`,
    unit: "MiB",
    value: Math.round((peak / MiB) * 10) / 10,
    params,
  });
  console.log(`${name}: peak RSS growth ${(peak / MiB).toFixed(1)} MiB (${file})`);
  await s.stop().catch(() => undefined);
  await peer.close();
}

if (mode) {
  await runMode(mode === "bounded");
  process.exit(0);
}
for (const m of ["bounded", "unbounded"]) {
  const r = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      "--expose-gc",
      fileURLToPath(import.meta.url),
      "--mode",
      m,
      "--window",
      String(windowS),
    ],
    { stdio: "inherit" },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}
