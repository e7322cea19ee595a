// Everything generated from src/api, as path → content. Pure, so the drift test can compare it
// with the committed files without writing anything.
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { KINDS } from "../kinds/index.js";
import { CHART_CRD_DIR, chartFiles } from "./chart-files.js";
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
  for (const [path, content] of chartFiles(packageVersion())) files.set(path, content);
  return files;
}
