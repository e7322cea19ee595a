// `npm run synth [-- --check] [--root DIR] [--clusters FILE]`: writes the GitOps tree for the
// clusters of clusters.yaml. Idempotent. Rewrites only files it generated (they carry its header),
// creates each override-values.yaml once, and removes its own files of clusters no longer declared.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { packageVersion } from "../../api/generate/render.js";
import { parseClusters } from "./clusters.js";
import { GENERATED_HEADER, renderTree } from "./tree.js";

const TREE_DIRS = ["base", "overlays", "flux-system", "policies"];

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined);

export interface SynthResult {
  written: string[];
  created: string[];
  removed: string[];
  /** Files that differ from a fresh synth (check mode), as repository paths. */
  drift: string[];
}

export function synth(root: string, clustersFile: string, check: boolean): SynthResult {
  const decl = parseClusters(
    readFileSync(clustersFile, "utf8"),
    relative(root, clustersFile) || clustersFile,
  );
  const { owned, once } = renderTree(decl, packageVersion());
  const result: SynthResult = { written: [], created: [], removed: [], drift: [] };
  for (const [path, content] of owned) {
    if (read(join(root, path)) === content) continue;
    result.drift.push(path);
    if (check) continue;
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    result.written.push(path);
  }
  for (const [path, content] of once) {
    if (existsSync(join(root, path))) continue;
    result.drift.push(path);
    if (check) continue;
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    result.created.push(path);
  }
  for (const file of TREE_DIRS.flatMap((d) => walk(join(root, d)))) {
    const path = relative(root, file);
    if (owned.has(path) || !read(file)?.startsWith(GENERATED_HEADER)) continue;
    result.drift.push(path);
    if (check) continue;
    rmSync(file);
    result.removed.push(path);
  }
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      check: { type: "boolean", default: false },
      root: { type: "string" },
      clusters: { type: "string" },
    },
  });
  const root = values.root ?? join(dirname(fileURLToPath(import.meta.url)), "../../..");
  try {
    const r = synth(root, values.clusters ?? join(root, "clusters.yaml"), values.check);
    if (values.check) {
      for (const p of r.drift) console.error(`out of date: ${p}`);
      if (r.drift.length) {
        console.error("fix: run `npm run synth` and commit the result");
        process.exit(1);
      }
    } else {
      for (const p of r.written) console.log(`wrote ${p}`);
      for (const p of r.created) console.log(`created ${p} (yours from now on)`);
      for (const p of r.removed) console.log(`removed ${p} (synth no longer generates it)`);
      console.log(
        `synth: ${r.written.length} written, ${r.created.length} created, ${r.removed.length} removed`,
      );
    }
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
