// The CRDs' CEL rules evaluated offline through their TypeScript twins (src/api/schema/cel.ts):
// the schema is walked beside the object, and every rule on the way is checked where it stands.
// A value the structural schema refuses is left to that check (the twin is not asked).
import type { TSchema } from "@sinclair/typebox";
import { isTransitionRule, twinOf, type CelRule } from "../api/schema/cel.js";
import { problem, type ConfigKind, type PathSegment, type Problem } from "./problem.js";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether a value has the JSON type a schema node declares (rules run only on such values). */
function fits(schema: TSchema, value: unknown): boolean {
  switch (schema.type) {
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    default:
      return value !== undefined;
  }
}

/** ".values" → ["values"] */
const fieldPathOf = (fieldPath: string | undefined): PathSegment[] =>
  fieldPath ? fieldPath.split(".").filter(Boolean) : [];

function check(rule: CelRule, value: unknown): boolean {
  const twin = twinOf(rule.rule);
  // tests/unit/model-rules.test.ts keeps every non-transition rule paired with a twin.
  if (!twin) return true;
  try {
    return (twin.check as (v: unknown) => boolean)(value);
  } catch {
    return true; // a shape the twin cannot read: the structural checks report it
  }
}

function walk(
  schema: TSchema,
  value: unknown,
  path: PathSegment[],
  report: (field: PathSegment[], rule: CelRule) => void,
): void {
  if (value === undefined || !fits(schema, value)) return;
  const rules = (schema["x-kubernetes-validations"] ?? []) as CelRule[];
  for (const rule of rules)
    if (!isTransitionRule(rule.rule) && !check(rule, value))
      report([...path, ...fieldPathOf(rule.fieldPath)], rule);
  if (isObject(value) && isObject(schema.properties)) {
    for (const [key, sub] of Object.entries(schema.properties as Record<string, TSchema>))
      walk(sub, value[key], [...path, key], report);
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => walk(schema.items as TSchema, item, [...path, i], report));
  }
}

/** The rules `value` (at `path` of the object) breaks, as problems of that object. */
export function ruleProblems(
  kind: ConfigKind,
  name: string,
  schema: TSchema,
  value: unknown,
  path: PathSegment[] = ["spec"],
): Problem[] {
  const out: Problem[] = [];
  walk(schema, value, path, (field, rule) =>
    out.push(problem(kind, name, field, rule.message, twinOf(rule.rule)?.fix ?? "correct it")),
  );
  return out;
}

/** Every CEL rule in a schema, with where it stands (for tests and tooling). */
export function rulesOf(schema: TSchema, path: string[] = []): { path: string; rule: CelRule }[] {
  const here = ((schema["x-kubernetes-validations"] ?? []) as CelRule[]).map((rule) => ({
    path: path.join("."),
    rule,
  }));
  const props = isObject(schema.properties)
    ? Object.entries(schema.properties as Record<string, TSchema>).flatMap(([k, s]) =>
        rulesOf(s, [...path, k]),
      )
    : [];
  const items = schema.items ? rulesOf(schema.items as TSchema, [...path, "[]"]) : [];
  return [...here, ...props, ...items];
}
