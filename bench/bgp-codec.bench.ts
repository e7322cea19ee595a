// BGP codec throughput: decoding a speaker-sized UPDATE, a full 4096-octet UPDATE, a mixed
// corpus of generated messages, and planning + encoding 10,000 IPv6 /128 announcements.
// `tsx bench/bgp-codec.bench.ts` writes bench/results/<name>.json itself; `npm run bench` may
// also import it (default export: { name, run(ctx) }).
import { mkdirSync, writeFileSync } from "node:fs";
import { arch, cpus, loadavg, release, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { decodeMessage, encodeMessage } from "../src/runtime/bgp/codec/message.js";
import { encodeUpdate } from "../src/runtime/bgp/codec/update.js";
import { planRibOut } from "../src/runtime/bgp/rib-out.js";
import { canonicalRoutes, type Route } from "../src/runtime/bgp/route.js";
import { EBGP_SESSION, messageArb } from "../src/lab/bgp-arbitraries.js";

interface Measurement {
  name: string;
  unit: string;
  value: number;
  params: Record<string, string | number | boolean>;
}

interface BenchContext {
  record(m: Measurement): void;
  log(message: string): void;
}

const CTX = EBGP_SESSION;

/** The n-th /32 of the IPv4 documentation ranges (768 of them), or the n-th /128 of 2001:db8::/32. */
const hostRoute = (i: number, family: 4 | 6 = 4): Route => ({
  prefix:
    family === 4
      ? `${["192.0.2", "198.51.100", "203.0.113"][i % 3]}.${Math.floor(i / 3) % 256}/32`
      : `2001:db8::${i.toString(16)}/128`,
  communities: ["64500:1"],
  largeCommunities: ["4200000001:1:1"],
});

/** Runs `work` (which handles `perCall` items) for about `ms` after a warm-up; items per second. */
function rate(work: () => void, perCall: number, ms = 1500): { perSecond: number; calls: number } {
  for (let i = 0; i < 200; i++) work();
  const start = process.hrtime.bigint();
  let calls = 0;
  let elapsedNs = 0n;
  const budget = BigInt(ms) * 1_000_000n;
  while (elapsedNs < budget) {
    for (let i = 0; i < 50; i++) work();
    calls += 50;
    elapsedNs = process.hrtime.bigint() - start;
  }
  return { perSecond: (calls * perCall) / (Number(elapsedNs) / 1e9), calls };
}

const round = (v: number) => Number(v.toPrecision(4));

function run(ctx: BenchContext): Promise<void> {
  const one = planRibOut(new Map(), canonicalRoutes([hostRoute(0)]), CTX).messages[0];
  const small = encodeUpdate(one!, CTX);
  const fullPlan = planRibOut(
    new Map(),
    canonicalRoutes(Array.from({ length: 768 }, (_, i) => hostRoute(i))),
    CTX,
  );
  const full = encodeUpdate(fullPlan.messages[0]!, CTX);
  const fullPrefixes = fullPlan.messages[0]!.nlri.length;
  const corpus = fc
    .sample(messageArb(true), { seed: 7, numRuns: 2000 })
    .map((m) => encodeMessage(m, CTX));
  const routes = canonicalRoutes(Array.from({ length: 10_000 }, (_, i) => hostRoute(i, 6)));

  const cases: [string, string, () => void, number, Record<string, string | number>][] = [
    [
      "bgp-decode-update-small",
      "messages/s",
      () => decodeMessage(small, CTX),
      1,
      { octets: small.length, prefixes: 1 },
    ],
    [
      "bgp-decode-update-full",
      "prefixes/s",
      () => decodeMessage(full, CTX),
      fullPrefixes,
      { octets: full.length, prefixes: fullPrefixes },
    ],
    [
      "bgp-decode-mixed",
      "messages/s",
      () => {
        for (const m of corpus) {
          try {
            decodeMessage(m, CTX);
          } catch {
            // generated OPENs may carry odd values; decoding them is what is measured
          }
        }
      },
      corpus.length,
      { messages: corpus.length, seed: 7 },
    ],
    [
      "bgp-encode-ribout-10k-ipv6",
      "prefixes/s",
      () => {
        for (const m of planRibOut(new Map(), routes, CTX).messages) encodeUpdate(m, CTX);
      },
      routes.size,
      { prefixes: routes.size, messages: planRibOut(new Map(), routes, CTX).messages.length },
    ],
  ];
  for (const [name, unit, work, perCall, params] of cases) {
    ctx.log(`${name}…`);
    const r = rate(work, perCall);
    ctx.record({ name, unit, value: round(r.perSecond), params: { ...params, calls: r.calls } });
  }
  return Promise.resolve();
}

const benchmark = { name: "bgp-codec", run };
export default benchmark;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const machine = {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    os: `${osType()} ${release()} ${arch()}`,
    load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
  await run({
    record(m) {
      writeFileSync(join(dir, `${m.name}.json`), JSON.stringify({ ...m, machine }, null, 2) + "\n");
      process.stdout.write(`${m.name}: ${m.value} ${m.unit}\n`);
    },
    log: (message) => process.stderr.write(`${message}\n`),
  });
}
