// Writes one benchmark figure as bench/results/<name>.json: {name, unit, value, params, machine}.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";

export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  params: Record<string, unknown>;
}

export function machine(): Record<string, unknown> {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    // Shared machines: a high load explains high tails.
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

export function writeResult(r: BenchResult): string {
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${r.name}.json`);
  writeFileSync(file, JSON.stringify({ ...r, machine: machine() }, null, 2) + "\n");
  return file;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Writes the p50 and p99 of `values` (ms, rounded to 0.1) as `<prefix>-p50` and `<prefix>-p99`. */
export function writeLatencyQuantiles(
  prefix: string,
  values: readonly number[],
  params: Record<string, unknown>,
): void {
  const sorted = [...values].sort((a, b) => a - b);
  for (const [label, q] of [
    ["p50", 0.5],
    ["p99", 0.99],
  ] as const) {
    const value = Math.round(quantile(sorted, q) * 10) / 10;
    const file = writeResult({ name: `${prefix}-${label}`, unit: "ms", value, params });
    console.log(`${prefix}-${label}: ${value} ms  (${file})`);
  }
}
