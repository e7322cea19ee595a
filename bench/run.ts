// `npm run bench [-- filter…]`: runs every bench/*.bench.ts (or those whose file or benchmark
// name contains one of the filters), writes each figure to bench/results/<name>.json and prints a
// table at the end. bench/*.script.ts are standalone benchmarks (they write their own figures);
// they run as child processes.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Benchmark } from "./lib/benchmark.js";
import { table, writeFigure, type Measurement } from "./lib/figures.js";
import { closeAll } from "../src/sys/cleanup.js";

const filters = process.argv.slice(2);
const wanted = (...names: string[]) =>
  !filters.length || filters.some((f) => names.some((n) => n.includes(f)));
const all = readdirSync(import.meta.dirname).sort();
const files = all.filter((f) => f.endsWith(".bench.ts"));
const scripts = all.filter((f) => f.endsWith(".script.ts") && wanted(f));

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
  if (!wanted(file.replace(/\.bench\.ts$/, ""))) continue;
  const mod = (await import(pathToFileURL(join(import.meta.dirname, file)).href)) as {
    default?: Benchmark;
  };
  const bench = mod.default;
  if (!bench?.name || typeof bench.run !== "function") {
    throw new Error(
      `bench/${file} must export default { name, run(ctx) } (see bench/lib/benchmark.ts)`,
    );
  }
  if (!wanted(bench.name, file)) continue;
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

for (const file of scripts) {
  ran++;
  log(`${file}: start (standalone; it writes its own figures)`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, file)], {
    stdio: "inherit",
  });
  if (r.status !== 0) failed.push(file);
}

if (!ran) {
  console.error(
    `bench: no benchmark matches ${filters.map((f) => `"${f}"`).join(", ")}; files: ${[...files, ...scripts].join(", ")}`,
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
