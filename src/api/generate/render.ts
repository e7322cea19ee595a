// Everything generated from src/api, as path → content. Pure, so the drift test can compare it
// with the committed files without writing anything.
import { stringify } from "yaml";
import { KINDS } from "../kinds/index.js";
import { crdFor } from "./crd.js";
import { jsonSchemaFor } from "./json-schema.js";

export const CRD_DIR = "config/crd";
export const SCHEMA_DIR = "config/schema";

const HEADER = "# Generated from src/api by `npm run generate`. Do not edit.\n";

export function renderGenerated(): Map<string, string> {
  const files = new Map<string, string>();
  for (const def of KINDS) {
    const crd = crdFor(def);
    files.set(
      `${CRD_DIR}/metallb.io_${def.plural}.yaml`,
      HEADER + stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false }),
    );
    files.set(
      `${SCHEMA_DIR}/${def.kind.toLowerCase()}.json`,
      JSON.stringify(jsonSchemaFor(def), null, 2) + "\n",
    );
  }
  return files;
}
