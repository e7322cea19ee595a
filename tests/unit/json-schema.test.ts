// The JSON Schemas generated from src/api check manifests offline (ajv), before they reach a cluster.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { KINDS } from "../../src/api/kinds/index.js";
import { jsonSchemaFor } from "../../src/api/generate/json-schema.js";
import { errorsOf, makeAjv } from "../../src/gitops/validate/ajv.js";

function validator() {
  const ajv = makeAjv();
  const byKind = new Map(KINDS.map((def) => [def.kind, ajv.compile(jsonSchemaFor(def))]));
  return (doc: { kind?: string }) => {
    const validate = byKind.get(doc.kind ?? "");
    if (!validate) throw new Error(`no schema for kind ${doc.kind}`);
    return errorsOf(validate, doc);
  };
}

const seedDir = join(import.meta.dirname, "../fixtures/seeds");
const seedDocs = readdirSync(seedDir)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(seedDir, f), "utf8")).map(
      (d) => d.toJS() as { apiVersion: string; kind: string },
    ),
  )
  .filter((d) => d.apiVersion.startsWith("metallb.io/"));

describe("JSON Schemas", () => {
  const check = validator();

  it.each(seedDocs.map((d) => [d.kind, d] as const))("accept the seed example %s", (_kind, doc) => {
    expect(check(doc)).toEqual([]);
  });

  it("catch a misspelt field and name it", () => {
    const errors = check({
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "x" },
      spec: { myASN: 1, peerASn: 2 },
    } as never);
    expect(errors.join("\n")).toContain("must NOT have additional properties");
    expect(errors.join("\n")).toContain("/spec");
  });

  it("catch out-of-range values with their path", () => {
    const errors = check({
      apiVersion: "metallb.io/v1beta1",
      kind: "BGPAdvertisement",
      metadata: { name: "x" },
      spec: { aggregationLength: 40 },
    } as never);
    expect(errors).toEqual(["/spec/aggregationLength must be <= 32"]);
  });

  it("know both served BGPPeer versions", () => {
    const base = {
      kind: "BGPPeer",
      metadata: { name: "x" },
      spec: { myASN: 1, peerASN: 2, peerAddress: "192.0.2.1" },
    };
    expect(check({ ...base, apiVersion: "metallb.io/v1beta1" } as never)).toEqual([]);
    expect(check({ ...base, apiVersion: "metallb.io/v1beta2" } as never)).toEqual([]);
    expect(check({ ...base, apiVersion: "metallb.io/v1" } as never)).not.toEqual([]);
  });
});
