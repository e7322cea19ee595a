// The contract between bench/run.ts and a bench/*.bench.ts file.
import type { Measurement } from "./figures.js";

export interface BenchContext {
  /** Writes the figure to bench/results/ at once, so a later failure keeps it. */
  record(m: Measurement): void;
  /** Progress for the operator (stderr). */
  log(message: string): void;
}

export interface Benchmark {
  /** Short, used by the name filter of `npm run bench -- <filter>`. */
  name: string;
  run(ctx: BenchContext): Promise<void>;
}
