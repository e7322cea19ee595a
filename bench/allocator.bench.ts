// Allocator cost at scale: 100,000 allocations in a /64 IPv6 pool and in a /16 IPv4 pool, the
// rate, and the cost of one allocation at 1k held against the cost at the top (it must stay
// flat or logarithmic, issue 3). Only assign() calls are timed.
import type { Family } from "../src/api/formats/ip.js";
import { Allocator, type ServiceRequest } from "../src/runtime/controller/allocator/allocator.js";
import { parsePool } from "../src/model/pool.js";
import type { Benchmark, BenchContext } from "./lib/benchmark.js";
import { significant } from "./lib/figures.js";

const TOTAL = 100_000;
const LOW = 1_000;
/** Timed allocations per probe; each is released again so that the held count stays put. */
const PROBE = 1_000;
const WARM_UP = 5_000;

interface Case {
  /** Figure name prefix. */
  id: string;
  family: Family;
  cidr: string;
  /** Held count of the high probe: all allocations, or what the pool can hold. */
  high: number;
}

const CASES: Case[] = [
  { id: "allocator-ipv6-64", family: 6, cidr: "2001:db8::/64", high: TOTAL },
  // A /16 holds 65,536 addresses: fill to 65,000, then reach 100,000 allocations by churn
  // (release a random holder, allocate a new Service), which leaves holes to find.
  { id: "allocator-ipv4-16", family: 4, cidr: "10.0.0.0/16", high: 65_000 },
];

const request = (family: Family, i: number): ServiceRequest => ({
  key: `bench/svc-${i}`,
  namespace: "bench",
  labels: {},
  namespaceLabels: {},
  families: [family],
  familyPolicy: "SingleStack",
  requestedIps: [],
  ports: [{ protocol: "TCP", port: 80 }],
  trafficPolicy: "Cluster",
  selectorKey: `app=svc-${i}`,
});

/** Deterministic pseudo-random integers in [0, n) (mulberry32), so runs are comparable. */
function randomInts(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

class Timed {
  readonly alloc = new Allocator();
  /** Nanoseconds spent in assign(). */
  spentNs = 0n;
  count = 0;

  constructor(c: Case) {
    const parsed = parsePool("bench", { addresses: [c.cidr] });
    if ("errors" in parsed) throw new Error(`pool ${c.cidr}: ${parsed.errors.join("; ")}`);
    this.alloc.setPools([parsed.pool]);
  }

  /** Allocates for req and returns the nanoseconds it took. */
  assign(req: ServiceRequest): bigint {
    const t0 = process.hrtime.bigint();
    const r = this.alloc.assign(req);
    const ns = process.hrtime.bigint() - t0;
    if (!r.ok) throw new Error(`allocation ${this.count + 1} for ${req.key} failed: ${r.message}`);
    this.spentNs += ns;
    this.count++;
    return ns;
  }
}

/**
 * Median and mean µs of PROBE allocations at the current held count (each released again). The
 * median is the figure: on a shared machine the mean mostly measures other people's load and GC.
 */
function probe(t: Timed, c: Case, firstIndex: number): { mean: number; median: number } {
  const samples: number[] = [];
  for (let i = 0; i < PROBE; i++) {
    const req = request(c.family, firstIndex + i);
    const t0 = process.hrtime.bigint();
    const r = t.alloc.assign(req);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (!r.ok) throw new Error(`probe allocation for ${req.key} failed: ${r.message}`);
    t.alloc.release(req.key);
  }
  samples.sort((a, b) => a - b);
  return {
    mean: samples.reduce((s, v) => s + v, 0) / samples.length,
    median: samples[samples.length >> 1] ?? NaN,
  };
}

/** JIT warm-up on a throwaway allocator, so that the 1k probe does not time compilation. */
function warmUp(c: Case): void {
  const t = new Timed(c);
  for (let i = 0; i < WARM_UP; i++) t.assign(request(c.family, i));
  probe(t, c, WARM_UP);
}

async function runCase(c: Case, ctx: BenchContext): Promise<void> {
  warmUp(c);
  const t = new Timed(c);
  const held: number[] = [];
  let next = 0;
  let low: { mean: number; median: number } | undefined;
  let lastReport = Date.now();
  const progress = () => {
    if (Date.now() - lastReport < 30_000) return;
    lastReport = Date.now();
    ctx.log(`${c.id}: ${t.count} allocations, ${held.length} held`);
  };
  while (held.length < c.high) {
    if (held.length === LOW) low = probe(t, c, 1_000_000);
    t.assign(request(c.family, next));
    held.push(next++);
    progress();
    // Yield now and then so that a signal can reach the driver.
    if (next % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
  const high = probe(t, c, 2_000_000);
  const random = randomInts(0x6d6c62);
  while (t.count < TOTAL) {
    const victim = random(held.length);
    t.alloc.release(`bench/svc-${held[victim]}`);
    t.assign(request(c.family, next));
    held[victim] = next++;
    progress();
    if (next % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
  if (!low) throw new Error(`${c.id}: never reached ${LOW} held`);
  const seconds = Number(t.spentNs) / 1e9;
  const base = { pool: c.cidr, allocations: t.count, probeAllocations: PROBE };
  const k = (n: number) => `${Math.round(n / 1000)}k`;
  ctx.record({
    name: `${c.id}-rate`,
    unit: "allocs/s",
    value: significant(t.count / seconds),
    params: {
      ...base,
      heldAtEnd: held.length,
      churnAllocations: t.count - c.high,
      secondsInAssign: significant(seconds),
    },
  });
  for (const [count, p] of [
    [LOW, low],
    [c.high, high],
  ] as const) {
    ctx.record({
      name: `${c.id}-us-per-alloc-at-${k(count)}`,
      unit: "µs/alloc",
      value: significant(p.median),
      params: { ...base, held: count, statistic: "median", meanUs: significant(p.mean) },
    });
  }
  ctx.record({
    name: `${c.id}-cost-ratio-${k(c.high)}-vs-${k(LOW)}`,
    unit: "×",
    value: significant(high.median / low.median, 3),
    params: {
      ...base,
      heldLow: LOW,
      heldHigh: c.high,
      heldRatio: c.high / LOW,
      meaning: "1 = flat; log2(heldHigh)/log2(heldLow) is logarithmic; heldRatio is linear",
    },
  });
}

const benchmark: Benchmark = {
  name: "allocator",
  async run(ctx) {
    for (const c of CASES) await runCase(c, ctx);
  },
};
export default benchmark;
