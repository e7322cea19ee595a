// One measured figure per file in bench/results/, with the machine it was measured on: the
// numbers mean little without the cores and memory behind them.
import { cpus, loadavg, totalmem, type as osType, release, arch } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const RESULTS_DIR = join(import.meta.dirname, "..", "results");

export type Params = Record<string, string | number | boolean>;

/** What a benchmark measured: `name` is also the result's file name. */
export interface Measurement {
  name: string;
  unit: string;
  value: number;
  params: Params;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  node: string;
  os: string;
  /** One-minute load average when the figure was taken (the machine may be shared). */
  load1: number;
}

export interface Figure extends Measurement {
  machine: Machine;
}

export function machine(): Machine {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    memoryBytes: totalmem(),
    node: process.version,
    os: `${osType()} ${release()} ${arch()}`,
    load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

const FILE_NAME = /^[a-z0-9][a-z0-9.-]*$/;

/** Writes bench/results/<name>.json and returns the figure written. */
export function writeFigure(m: Measurement, dir = RESULTS_DIR): Figure {
  if (!FILE_NAME.test(m.name)) {
    throw new Error(
      `benchmark figure name "${m.name}" is not a file name; use lower-case letters, digits, "-" and "."`,
    );
  }
  if (!Number.isFinite(m.value)) {
    throw new Error(`benchmark figure ${m.name} has no finite value (${m.value}); not written`);
  }
  const figure: Figure = { ...m, machine: machine() };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${m.name}.json`), JSON.stringify(figure, null, 2) + "\n");
  return figure;
}

/** Rounds to `digits` significant digits, for results that stay readable. */
export function significant(v: number, digits = 4): number {
  return v === 0 ? 0 : Number(v.toPrecision(digits));
}

/** A plain-text table of figures, aligned for a terminal. */
export function table(figures: Measurement[]): string {
  const rows = [
    ["figure", "value", "unit"],
    ...figures.map((f) => [f.name, String(f.value), f.unit]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === 1 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(rows[0] ?? []), rule, ...rows.slice(1).map(line)].join("\n");
}
