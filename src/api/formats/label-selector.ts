// Kubernetes label selector semantics (metav1.LabelSelector), pure.
import type { Static } from "@sinclair/typebox";
import type { LabelSelector as LabelSelectorSchema } from "../schema/k8s.js";

export type LabelSelector = Static<typeof LabelSelectorSchema>;
export type Labels = Readonly<Record<string, string>>;

/** An empty selector matches everything, as in Kubernetes. */
export function matchesSelector(selector: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    if (labels[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    const values = req.values ?? [];
    const ok =
      req.operator === "In"
        ? has && values.includes(value ?? "")
        : req.operator === "NotIn"
          ? !has || !values.includes(value ?? "")
          : req.operator === "Exists"
            ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

/** Any of the selectors matches; an absent or empty list matches everything. */
export function matchesAny(selectors: LabelSelector[] | undefined, labels: Labels): boolean {
  return !selectors?.length || selectors.some((s) => matchesSelector(s, labels));
}
