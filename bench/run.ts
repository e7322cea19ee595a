// `npm run bench [-- filter…]`: runs every bench/*.bench.ts (or those whose name contains one of
// the filters), writes each figure to bench/results/<name>.json and prints a table at the end.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Benchmark } from "./lib/benchmark.js";
import { table, writeFigure, type Measurement } from "./lib/figures.js";
import { closeAll } from "./lib/stack.js";

const filters = process.argv.slice(2);
const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith(".bench.ts"))
  .sort();

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}; stopping what the benchmarks started`);
    void closeAll().finally(() => process.exit(code));
  });
}

const log = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);
const figures: Measurement[] = [];
const failed: string[] = [];
let ran = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(import.meta.dirname, file)).href)) as {
    default?: Benchmark;
  };
  const bench = mod.default;
  if (!bench?.name || typeof bench.run !== "function") {
    throw new Error(
      `bench/${file} must export default { name, run(ctx) } (see bench/lib/benchmark.ts)`,
    );
  }
  if (filters.length && !filters.some((f) => bench.name.includes(f) || file.includes(f))) continue;
  ran++;
  log(`${bench.name}: start`);
  try {
    await bench.run({
      record: (m) => {
        writeFigure(m);
        figures.push(m);
        log(`${m.name} = ${m.value} ${m.unit}`);
      },
      log: (m) => log(`${bench.name}: ${m}`),
    });
    log(`${bench.name}: done`);
  } catch (err) {
    failed.push(bench.name);
    log(
      `${bench.name}: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
  }
}

if (!ran) {
  console.error(
    `bench: no benchmark matches ${filters.map((f) => `"${f}"`).join(", ")}; files: ${files.join(", ")}`,
  );
  process.exit(2);
}
console.log(table(figures));
if (failed.length) {
  console.error(
    `bench: failed: ${failed.join(", ")} (figures above are from the benchmarks that ran)`,
  );
}
// Client keep-alive agents may hold the loop open after the last benchmark.
process.exit(failed.length ? 1 : 0);
