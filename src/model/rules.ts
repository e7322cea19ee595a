// The CRDs' CEL rules evaluated offline by the CEL engine (cel/engine.ts): the schema is walked
// beside the object, and every rule on the way is evaluated where it stands, with `self` bound to
// the value there. A value the structural schema refuses is left to that check (rules are not
// run on it, as the API server does not run them).
import type { TSchema } from "@sinclair/typebox";
import { fixOf, isTransitionRule, type CelRule } from "../api/schema/cel.js";
import { celValueOf, evaluate, evaluateMessage } from "./cel/engine.js";
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

/** The rule's message; a rule declared without one (other CRDs' rules) reads as the API server's. */
const messageOf = (rule: CelRule): string => rule.message || `failed rule: ${rule.rule}`;

/** The message a broken rule gives, and its fix; undefined when the rule holds. */
function broken(
  rule: CelRule,
  schema: TSchema,
  value: unknown,
): { message: string; fix: string } | undefined {
  const self = celValueOf(schema, value);
  const verdict = evaluate(rule.rule, self);
  if (verdict.ok) return undefined;
  const fix = fixOf(rule.rule) ?? "correct the field";
  if ("error" in verdict)
    // The API server refuses an object whose rule fails to evaluate; so does the offline check.
    return {
      message: `${messageOf(rule)} (the rule could not be evaluated: ${verdict.error})`,
      fix,
    };
  const message =
    (rule.messageExpression !== undefined
      ? evaluateMessage(rule.messageExpression, self)
      : undefined) ?? messageOf(rule);
  return { message, fix };
}

function walk(
  schema: TSchema,
  value: unknown,
  path: PathSegment[],
  report: (field: PathSegment[], message: string, fix: string, rule: string) => void,
): void {
  if (value === undefined || !fits(schema, value)) return;
  const rules = (schema["x-kubernetes-validations"] ?? []) as CelRule[];
  for (const rule of rules) {
    if (isTransitionRule(rule.rule)) continue;
    const b = broken(rule, schema, value);
    if (b) report([...path, ...fieldPathOf(rule.fieldPath)], b.message, b.fix, rule.rule);
  }
  if (isObject(value) && isObject(schema.properties)) {
    for (const [key, sub] of Object.entries(schema.properties as Record<string, TSchema>))
      walk(sub, value[key], [...path, key], report);
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => walk(schema.items as TSchema, item, [...path, i], report));
  }
}

export interface RuleViolation {
  /** The CEL text of the rule broken. */
  rule: string;
  field: PathSegment[];
  message: string;
  fix: string;
}

/** The rules of any structural schema (a CRD's) that `value`, at `path`, breaks. */
export function ruleViolations(
  schema: TSchema,
  value: unknown,
  path: PathSegment[] = [],
): RuleViolation[] {
  const out: RuleViolation[] = [];
  walk(schema, value, path, (field, message, fix, rule) => out.push({ rule, field, message, fix }));
  return out;
}

// The speaker parses the configuration on every pass and the stores hand it the same spec object
// until the object changes: the verdicts are kept per spec object (CEL costs about 1.5 ms per
// pass for a small configuration, 16 times what the rest of parseConfig does).
const verdicts = new WeakMap<object, Map<string, Problem[]>>();

/** The rules `value` (at `path` of the object) breaks, as problems of that object. */
export function ruleProblems(
  kind: ConfigKind,
  name: string,
  schema: TSchema,
  value: unknown,
  path: PathSegment[] = ["spec"],
): Problem[] {
  const compute = () =>
    ruleViolations(schema, value, path).map((v) => problem(kind, name, v.field, v.message, v.fix));
  if (typeof value !== "object" || value === null) return compute();
  let byKey = verdicts.get(value);
  if (!byKey) verdicts.set(value, (byKey = new Map<string, Problem[]>()));
  const key = `${kind}\0${name}\0${path.join("\0")}`;
  let found = byKey.get(key);
  if (!found) byKey.set(key, (found = compute()));
  return found;
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
