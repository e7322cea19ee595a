// CEL rules (`x-kubernetes-validations`), each declared once with its TypeScript twin: the API
// server evaluates the CEL text; `metallb-ts validate` and the model evaluate the twin offline,
// so a rule and its offline check cannot drift apart unnoticed (tests/kube/crd-validation.test.ts
// holds every twin against the real API server's verdict).
import type { SchemaOptions } from "@sinclair/typebox";

/** One CEL rule as the API server evaluates it. */
export interface CelRule {
  rule: string;
  message: string;
  /** Relative JSON path (".field") of the field the error is reported on. */
  fieldPath?: string;
  reason?:
    "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

/** The offline half of a rule: the same verdict as the CEL text, and how to mend a violation. */
export interface CelTwin {
  /** True when `self` satisfies the rule. Receives the value as decoded from YAML or JSON. */
  check: (self: never) => boolean;
  fix: string;
}

/**
 * A rule with its twin. A transition rule (one that reads `oldSelf`) has no offline meaning for
 * a single file and declares so instead of a twin.
 */
export type DeclaredRule = CelRule & (CelTwin | { transition: true });

const twins = new Map<string, CelTwin>();

/** Schema options carrying the rules; the twins are registered by their CEL text. */
export function cel(...rules: DeclaredRule[]): SchemaOptions {
  const emitted: CelRule[] = rules.map((r) => {
    if ("check" in r) twins.set(r.rule, { check: r.check, fix: r.fix });
    return {
      rule: r.rule,
      message: r.message,
      ...(r.fieldPath !== undefined ? { fieldPath: r.fieldPath } : {}),
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
    };
  });
  return { "x-kubernetes-validations": emitted };
}

/** The twin of a CEL rule; undefined for transition rules (and rules declared without one). */
export const twinOf = (rule: string): CelTwin | undefined => twins.get(rule);

/** Whether a CEL rule reads the previous object (only the API server can evaluate it). */
export const isTransitionRule = (rule: string): boolean => /\boldSelf\b/.test(rule);
