// CEL rules (`x-kubernetes-validations`), each declared once with the fix a user should make.
// The API server evaluates the CEL text; `metallb-ts validate` and the model evaluate the same
// text offline with a CEL engine (src/model/cel/), so there is no second copy of a rule to drift
// (tests/kube/crd-validation.test.ts holds the offline verdicts against the real API server's).
import type { SchemaOptions } from "@sinclair/typebox";

/** One CEL rule as the API server evaluates it. */
export interface CelRule {
  rule: string;
  message: string;
  /** A CEL expression yielding the message; `message` stands in when it fails. */
  messageExpression?: string;
  /** Relative JSON path (".field") of the field the error is reported on. */
  fieldPath?: string;
  reason?:
    "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

/**
 * A rule with how to mend a violation. A transition rule (one that reads `oldSelf`) has no
 * offline meaning for a single file; it still carries a fix for the API server's refusal.
 */
export type DeclaredRule = CelRule & { fix: string };

const fixes = new Map<string, string>();

/** Schema options carrying the rules; the fixes are registered by their CEL text. */
export function cel(...rules: DeclaredRule[]): SchemaOptions {
  const emitted: CelRule[] = rules.map((r) => {
    fixes.set(r.rule, r.fix);
    return {
      rule: r.rule,
      message: r.message,
      ...(r.messageExpression !== undefined ? { messageExpression: r.messageExpression } : {}),
      ...(r.fieldPath !== undefined ? { fieldPath: r.fieldPath } : {}),
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
    };
  });
  return { "x-kubernetes-validations": emitted };
}

/** How to mend a violation of a CEL rule, by its text. */
export const fixOf = (rule: string): string | undefined => fixes.get(rule);

/** Whether a CEL rule reads the previous object (only the API server can evaluate it). */
export const isTransitionRule = (rule: string): boolean => /\boldSelf\b/.test(rule);
