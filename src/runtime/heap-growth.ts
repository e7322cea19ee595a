// How far V8 lets the old generation grow past what survived the last full GC. By default the
// factor is dynamic, up to 4× when the program allocates fast relative to GC speed — which the
// controller does while thousands of Services arrive: at 5,000 Services its live heap was 38 MiB
// but its peak RSS 216 MiB. A fixed 1.5× gave 129 MiB for 7% more CPU (21.2 → 22.7 s; bench:
// controller side by side; docs/benchmarks.md). V8 reads the flag at every GC, so setting it at
// start-up takes effect; NODE_OPTIONS refuses it, which is why it is not in the image's ENV.
import { setFlagsFromString } from "node:v8";

/** The controller's old-generation growth factor, as a percentage above 1 (50: 1.5×). */
export const CONTROLLER_HEAP_GROWTH_PERCENT = 50;

/**
 * The V8 flag to set, or undefined when the process was started with its own (a `node
 * --heap-growing-percent=N` command line wins, so operators can trade memory for CPU).
 */
export function heapGrowthFlag(percent: number, execArgv: readonly string[]): string | undefined {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))) return undefined;
  return `--heap-growing-percent=${percent}`;
}

export function limitHeapGrowth(percent: number): void {
  const flag = heapGrowthFlag(percent, process.execArgv);
  if (flag) setFlagsFromString(flag);
}
