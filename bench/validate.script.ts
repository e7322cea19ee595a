// Benchmark: `metallb-ts validate` over a synthesized tree of N clusters (alternately like lab-l2
// and lab-bgp), wall time of the real command (process start to exit) and of the check itself
// in-process. Writes bench/results/validate-<N>-clusters.json ({name, unit, value, params,
// machine}), for 1 and 10 clusters unless told. Run: npx tsx bench/validate.script.ts
// [--clusters N] [--runs N]
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { synth } from "../src/gitops/synth/main.js";
import { overridePath } from "../src/gitops/synth/tree.js";
import { validateTree } from "../src/gitops/validate/tree-check.js";

const ROOT = join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    clusters: { type: "string" },
  },
});
const COUNTS = values.clusters ? [Number(values.clusters)] : [1, 10];
const runs = Number(values.runs);

function buildTree(CLUSTERS: number): string {
  const root = mkdtempSync(join(tmpdir(), "metallb-ts-bench-"));
  for (const d of ["charts", "helm-values"])
    cpSync(join(ROOT, d), join(root, d), { recursive: true });
  const names = Array.from(
    { length: CLUSTERS },
    (_, i) => `bench-${String(i + 1).padStart(2, "0")}`,
  );
  writeFileSync(
    join(root, "clusters.yaml"),
    [
      "repository:",
      "  url: https://git.example.com/platform/metallb-ts.git",
      "  branch: main",
      "chart:",
      "  source: git",
      "clusters:",
      ...names.map((n) => `  - name: ${n}`),
      "",
    ].join("\n"),
  );
  names.forEach((n, i) => {
    const example = i % 2 ? "lab-bgp" : "lab-l2";
    mkdirSync(join(root, overridePath(n), ".."), { recursive: true });
    writeFileSync(join(root, overridePath(n)), readFileSync(join(ROOT, overridePath(example))));
  });
  synth(root, join(root, "clusters.yaml"), false);
  return root;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function measure(CLUSTERS: number): Promise<void> {
  const root = buildTree(CLUSTERS);
  try {
    const command: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const r = spawnSync(process.execPath, [join(ROOT, "bin/metallb-ts.js"), "validate", root], {
        encoding: "utf8",
      });
      command.push(performance.now() - start);
      if (r.status !== 0) throw new Error(`validate failed (${r.status}):\n${r.stdout}${r.stderr}`);
    }
    await validateTree(root); // warm: schemas compiled, modules loaded
    const inProcess: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const r = await validateTree(root);
      inProcess.push(performance.now() - start);
      if (r.errors) throw new Error(r.lines.join("\n"));
    }
    const result = {
      name: `validate-${CLUSTERS}-clusters`,
      unit: "ms",
      value: Math.round(median(command)),
      params: {
        clusters: CLUSTERS,
        runs,
        what: "wall time of `metallb-ts validate <root>` (process start to exit), median",
        commandMs: command.map(Math.round),
        inProcessMedianMs: Math.round(median(inProcess)),
        inProcessMs: inProcess.map(Math.round),
      },
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        loadAverage1m: Number(loadavg()[0]?.toFixed(2)),
        node: process.version,
      },
    };
    mkdirSync(join(ROOT, "bench/results"), { recursive: true });
    writeFileSync(
      join(ROOT, `bench/results/validate-${CLUSTERS}-clusters.json`),
      JSON.stringify(result, null, 2) + "\n",
    );
    console.log(
      `validate, ${CLUSTERS} clusters: command ${result.value} ms (median of ${runs}), ` +
        `in-process ${result.params.inProcessMedianMs} ms; load ${result.machine.loadAverage1m} on ${result.machine.cpus} CPUs`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

for (const n of COUNTS) await measure(n);
