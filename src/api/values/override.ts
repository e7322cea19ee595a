// The override schema (helm-values/override-values.schema.json): every setting optional (an
// override changes only what it names), and the hardening rules embedded so that editors flag
// weakening at once.
import { plain, type JsonObject } from "../generate/structural.js";
import { HARDENING_RULES } from "./hardening.js";
import { Values } from "./schema.js";

const isObject = (v: unknown): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Drops `required` on nested objects (through `properties` only: list items, such as a pool in
 * config.ipAddressPools, stay complete because a list replaces the chart's list whole).
 */
function optionalSettings(schema: JsonObject): JsonObject {
  const rest = { ...schema };
  delete rest.required;
  if (!isObject(rest.properties)) return rest;
  return {
    ...rest,
    properties: Object.fromEntries(
      Object.entries(rest.properties).map(([k, v]) => [k, isObject(v) ? optionalSettings(v) : v]),
    ),
  };
}

function embed(schema: JsonObject, path: readonly string[], constraint: JsonObject): void {
  let node: JsonObject = schema;
  for (const key of path) {
    const props = node.properties;
    if (!isObject(props) || !isObject(props[key]))
      throw new Error(`hardening rule path ${path.join(".")} is not in the values schema`);
    node = props[key];
  }
  const existing: unknown[] = Array.isArray(node.allOf) ? (node.allOf as unknown[]) : [];
  node.allOf = [...existing, constraint];
}

export function overrideSchema(): JsonObject {
  const schema = optionalSettings(plain(Values));
  for (const rule of HARDENING_RULES) embed(schema, rule.path, rule.schema);
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    ...schema,
    $id: "https://metallb-ts.dev/schema/override-values.json",
    title: "metallb-ts per-cluster override values",
    description:
      "overlays/<cluster>/services/metallb/override-values.yaml: merged over the hardened base values.",
  };
}

export function chartValuesSchema(): JsonObject {
  return { $schema: "http://json-schema.org/draft-07/schema#", ...plain(Values) };
}
