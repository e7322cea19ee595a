// Everything generated from src/api, as path → content. Pure, so the drift test can compare it
// with the committed files without writing anything.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { KINDS } from "../kinds/index.js";
import { CHART_CRD_DIR, CHART_DIR, chartFiles, chartYaml } from "./chart-files.js";
import { crdFor } from "./crd.js";
import { jsonSchemaFor } from "./json-schema.js";

export const CRD_DIR = "config/crd";
export const SCHEMA_DIR = "config/schema";
/** Directories whose every file is generated (stale files there are removed). */
export const GENERATED_DIRS = [CRD_DIR, SCHEMA_DIR, CHART_CRD_DIR];

export const packageVersion = (): string =>
  (
    JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      version: string;
    }
  ).version;

const repoRoot = new URL("../../../", import.meta.url).pathname;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/**
 * A digest of every chart file but Chart.yaml, with generated files as they are about to be
 * written. Chart.yaml's version carries it as build metadata, so a chart whose content changed
 * is a new chart version: Flux's ChartVersion strategy then rebuilds the chart exactly when it
 * changed, and a values-only commit upgrades the release once, with the same chart
 * (docs/distribution.md).
 */
export function chartDigest(generated: Map<string, string>): string {
  const chartYamlPath = `${CHART_DIR}/Chart.yaml`;
  const paths = new Set(
    filesUnder(join(repoRoot, CHART_DIR)).map((abs) => relative(repoRoot, abs)),
  );
  for (const path of generated.keys()) if (path.startsWith(`${CHART_DIR}/`)) paths.add(path);
  paths.delete(chartYamlPath);
  const hash = createHash("sha256");
  for (const path of [...paths].sort()) {
    const content = generated.get(path) ?? readFileSync(join(repoRoot, path), "utf8");
    hash.update(`${path}\0${content}\0`);
  }
  return hash.digest("hex").slice(0, 12);
}

const HEADER = "# Generated from src/api by `npm run generate`. Do not edit.\n";

export function renderGenerated(): Map<string, string> {
  const files = new Map<string, string>();
  for (const def of KINDS) {
    const crdYaml = HEADER + stringify(crdFor(def), { lineWidth: 0, aliasDuplicateObjects: false });
    files.set(`${CRD_DIR}/metallb.io_${def.plural}.yaml`, crdYaml);
    files.set(`${CHART_CRD_DIR}/metallb.io_${def.plural}.yaml`, crdYaml);
    files.set(
      `${SCHEMA_DIR}/${def.kind.toLowerCase()}.json`,
      JSON.stringify(jsonSchemaFor(def), null, 2) + "\n",
    );
  }
  const version = packageVersion();
  for (const [path, content] of chartFiles(version)) files.set(path, content);
  files.set(`${CHART_DIR}/Chart.yaml`, chartYaml(`${version}+${chartDigest(files)}`, version));
  return files;
}
