// The CRDs' CEL rules (`x-kubernetes-validations`) evaluated offline by a real CEL engine
// (@bufbuild/cel) with the libraries the API server offers CRD rules that ours use: the standard
// library, the strings extension (split, trim, …) and the Kubernetes IP and CIDR libraries.
// The value is typed by its structural schema first, as the API server types it: an integer
// field is a CEL int, not a double, so `type(self.x) == int` and `self.x <= 60000` mean the same.
import type { TSchema } from "@sinclair/typebox";
import { celEnv, isCelError, parse, plan, type CelEnv, type CelInput } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { IP_LIBRARY, NET_TYPES } from "./ip-library.js";
import { evaluateSkeleton, skeletonOf, type Outcome, type Skeleton } from "./lazy-logic.js";

type Program = (bindings: { self: CelInput }) => unknown;

let env: CelEnv | undefined;
const programs = new Map<string, Program>();

/** One compiled program per expression text (a rule, or one operand of its `||`/`&&`). */
function program(expression: string): Program {
  let p = programs.get(expression);
  if (!p) {
    env ??= celEnv({ registry: NET_TYPES, funcs: [...strings, ...IP_LIBRARY] });
    p = plan(env, parse(expression));
    programs.set(expression, p);
  }
  return p;
}

/** Why an expression does not compile; undefined when it does. */
export function compileError(expression: string): string | undefined {
  try {
    program(expression);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `value` as the API server hands it to a rule: integers of integer (and int-or-string) fields
 * as CEL ints, fields the schema does not declare pruned, the rest as decoded from JSON.
 */
export function celValueOf(schema: TSchema, value: unknown): CelInput {
  if (typeof value === "number" && Number.isInteger(value)) {
    const integral = schema.type === "integer" || schema["x-kubernetes-int-or-string"] === true;
    return integral ? BigInt(value) : value;
  }
  if (Array.isArray(value)) {
    const items = (schema.items ?? {}) as TSchema;
    return value.map((v) => celValueOf(items, v));
  }
  if (isObject(value)) {
    const props = isObject(schema.properties)
      ? (schema.properties as Record<string, TSchema>)
      : undefined;
    const extra = isObject(schema.additionalProperties)
      ? (schema.additionalProperties as TSchema)
      : undefined;
    const out: Record<string, CelInput> = {};
    for (const [k, v] of Object.entries(value)) {
      const sub = props?.[k] ?? extra ?? (props ? undefined : ({} as TSchema));
      if (sub && v !== undefined && v !== null) out[k] = celValueOf(sub, v);
    }
    return out;
  }
  return value as CelInput;
}

export type Verdict = { ok: true } | { ok: false; message: string } | { ok: false; error: string };

const skeletons = new Map<string, Skeleton>();

function leafOutcome(text: string, self: CelInput): Outcome {
  let result: unknown;
  try {
    result = program(text)({ self });
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  if (isCelError(result)) return { error: result.message };
  if (typeof result === "boolean") return result;
  return { error: `${text} yielded ${String(result)}, not a bool` };
}

/** The result of a rule with `self` bound to an already typed value (see celValueOf). */
export function evaluate(expression: string, self: CelInput): Verdict {
  let skeleton = skeletons.get(expression);
  if (!skeleton) {
    skeleton = skeletonOf(expression);
    skeletons.set(expression, skeleton);
  }
  const outcome = evaluateSkeleton(skeleton, (text) => leafOutcome(text, self));
  if (outcome === true) return { ok: true };
  if (outcome === false) return { ok: false, message: "" };
  return { ok: false, error: outcome.error };
}

/**
 * The text of a `messageExpression`; undefined when it fails or yields no string (the API server
 * then falls back to the rule's `message`).
 */
export function evaluateMessage(expression: string, self: CelInput): string | undefined {
  try {
    const result = program(expression)({ self });
    return typeof result === "string" && result.trim() !== "" ? result : undefined;
  } catch {
    return undefined;
  }
}
