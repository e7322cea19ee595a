// Turns a TypeBox schema (JSON Schema with TypeBox's own shapes) into a Kubernetes structural
// schema: enums instead of const unions, additionalProperties instead of patternProperties,
// x-kubernetes-int-or-string instead of anyOf, no additionalProperties:false (the API server
// prunes or, with strict field validation, rejects unknown fields on its own).
import type { TSchema } from "@sinclair/typebox";

export type JsonObject = { [key: string]: unknown };

const isObject = (v: unknown): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A plain JSON copy: drops TypeBox's symbol-keyed metadata. */
export function plain(schema: TSchema): JsonObject {
  return JSON.parse(JSON.stringify(schema)) as JsonObject;
}

function literalEnum(variants: JsonObject[]): JsonObject | undefined {
  if (!variants.every((v) => "const" in v)) return undefined;
  const types = new Set(variants.map((v) => v.type));
  if (types.size !== 1) return undefined;
  return { type: variants[0]?.type, enum: variants.map((v) => v.const) };
}

export function toStructural(input: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === "anyOf" || key === "patternProperties" || key === "const" || key === "$id")
      continue;
    if (key === "additionalProperties" && value === false) continue;
    if (key === "properties" && isObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, toStructural(v as JsonObject)]),
      );
    } else if (key === "items" && isObject(value)) {
      out.items = toStructural(value);
    } else {
      out[key] = value;
    }
  }
  if (input["x-kubernetes-int-or-string"] === true) {
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if ("const" in input) {
    out.enum = [input.const];
  }
  if (Array.isArray(input.anyOf) && input["x-kubernetes-int-or-string"] !== true) {
    const asEnum = literalEnum(input.anyOf as JsonObject[]);
    if (!asEnum)
      throw new Error(`cannot express anyOf as a structural schema: ${JSON.stringify(input)}`);
    Object.assign(out, asEnum);
  }
  if (isObject(input.patternProperties)) {
    const [valueSchema] = Object.values(input.patternProperties);
    out.type = "object";
    out.additionalProperties = toStructural(valueSchema as JsonObject);
  }
  return out;
}
