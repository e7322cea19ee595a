// Label selectors in the configuration (pool, node and namespace selectors): the CRDs take any
// string as a key or value, but a key or value that is not a valid label can never match, and
// upstream MetalLB's parser refuses the whole selector. Found wherever a selector sits in a spec.
import { labelKeyProblem, labelValueProblem } from "../../api/formats/label.js";
import type { Values } from "../../api/values/schema.js";
import { error, type PathSegment, type Problem } from "./problem.js";
import { labelProblems } from "./rendered-rules.js";

const FIX_KEY = "write a valid label key, e.g. tier or example.com/tier";
const FIX_VALUE = "write a valid label value, e.g. gold";

function selectorProblems(path: PathSegment[], s: Record<string, unknown>): Problem[] {
  const out: Problem[] = [];
  const labels = s.matchLabels as Record<string, unknown> | undefined;
  out.push(...labelProblems([...path, "matchLabels"], labels ?? {}));
  const exprs = s.matchExpressions as { key?: unknown; values?: unknown[] }[] | undefined;
  exprs?.forEach((e, i) => {
    const at: PathSegment[] = [...path, "matchExpressions", i];
    const key = typeof e.key === "string" ? labelKeyProblem(e.key) : undefined;
    if (key) out.push(error([...at, "key"], key, FIX_KEY));
    e.values?.forEach((v, j) => {
      const value = typeof v === "string" ? labelValueProblem(v) : undefined;
      if (value) out.push(error([...at, "values", j], value, FIX_VALUE));
    });
  });
  return out;
}

/** Every selector under `node` (a value of the override), at its path. */
function walk(node: unknown, path: PathSegment[]): Problem[] {
  if (Array.isArray(node)) return node.flatMap((x, i) => walk(x, [...path, i]));
  if (!node || typeof node !== "object") return [];
  const o = node as Record<string, unknown>;
  const own = "matchLabels" in o || "matchExpressions" in o ? selectorProblems(path, o) : [];
  return [
    ...own,
    ...Object.entries(o)
      .filter(([k]) => k !== "matchLabels" && k !== "matchExpressions")
      .flatMap(([k, v]) => walk(v, [...path, k])),
  ];
}

export function configSelectorProblems(values: Values): Problem[] {
  return walk(values.config ?? {}, ["config"]);
}
