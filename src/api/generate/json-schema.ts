// KindDef → JSON Schema (draft 2020-12 subset ajv understands) for checking manifests offline.
// Keeps additionalProperties:false so typos are caught before anything reaches a cluster; the
// x-kubernetes-* keywords stay as annotations (the CEL rules run in the API server).
import { GROUP, type KindDef } from "../kinds/kind.js";
import { plain, type JsonObject } from "./structural.js";

export const schemaId = (def: KindDef): string =>
  `https://metallb-ts.dev/schema/${GROUP}/${def.kind.toLowerCase()}.json`;

export function jsonSchemaFor(def: KindDef): JsonObject {
  const properties: JsonObject = {
    apiVersion: { enum: def.versions.map((v) => `${GROUP}/${v.name}`) },
    kind: { const: def.kind },
    metadata: {
      type: "object",
      properties: {
        name: { type: "string", minLength: 1, maxLength: 253 },
        namespace: { type: "string", minLength: 1, maxLength: 63 },
      },
      required: ["name"],
    },
    spec: plain(def.spec),
  };
  if (def.status) properties.status = plain(def.status);
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: schemaId(def),
    title: `${GROUP} ${def.kind}`,
    description: def.description,
    type: "object",
    properties,
    required: ["apiVersion", "kind", "metadata", ...(def.status ? [] : ["spec"])],
  };
}
