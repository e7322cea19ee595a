// Values the chart renders into fields the API server checks beyond their type: a container's
// requests against its limits, tolerations, node selectors and object labels. Helm renders them
// without complaint and the apply fails on the cluster, so `validate` refuses them here, at the
// override's own line.
import { labelKeyProblem, labelValueProblem } from "../../api/formats/label.js";
import { quantityValue } from "../../api/formats/quantity.js";
import type { Values } from "../../api/values/schema.js";
import { error, type PathSegment, type Problem } from "./problem.js";

type Component = "controller" | "speaker";

function resourceProblems(values: Values, c: Component): Problem[] {
  const { requests = {}, limits = {} } = values[c].resources;
  return (["cpu", "memory"] as const).flatMap((r) => {
    const req = requests[r];
    const lim = limits[r];
    if (req === undefined || lim === undefined) return [];
    const a = quantityValue(req);
    const b = quantityValue(lim);
    if (a === undefined || b === undefined || a <= b) return [];
    return [
      error(
        [c, "resources", "requests", r],
        `the ${r} request ${String(req)} is above its limit ${String(lim)}: the API server refuses the ${c === "controller" ? "Deployment" : "DaemonSet"}`,
        `lower resources.requests.${r} to at most ${String(lim)}, or raise resources.limits.${r}`,
      ),
    ];
  });
}

function tolerationProblems(values: Values, c: Component): Problem[] {
  return values[c].tolerations.flatMap((t, i) => {
    const at = (field: string): PathSegment[] => [c, "tolerations", i, field];
    const out: Problem[] = [];
    if (t.operator === "Exists" && t.value)
      out.push(
        error(
          at("value"),
          `operator Exists matches any value, so value ${JSON.stringify(t.value)} is refused`,
          "remove value, or use operator: Equal to match that value only",
        ),
      );
    if (!t.key && t.operator !== "Exists")
      out.push(
        error(
          at("operator"),
          "a toleration without a key must use operator Exists (it then tolerates every taint)",
          "set key, or set operator: Exists",
        ),
      );
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute")
      out.push(
        error(
          at("tolerationSeconds"),
          "tolerationSeconds applies to NoExecute taints only",
          "set effect: NoExecute, or remove tolerationSeconds",
        ),
      );
    return out;
  });
}

/** Problems of a label map at `path` (keys and values); selector-rules.ts uses it for matchLabels. */
export function labelProblems(
  path: PathSegment[],
  labels: Readonly<Record<string, unknown>>,
): Problem[] {
  return Object.entries(labels).flatMap(([k, v]) => {
    const key = labelKeyProblem(k);
    const value = typeof v === "string" ? labelValueProblem(v) : undefined;
    return [
      ...(key
        ? [error([...path, k], key, "write a valid label key, e.g. tier or example.com/tier")]
        : []),
      ...(value ? [error([...path, k], value, "write a valid label value, e.g. gold")] : []),
    ];
  });
}

export function renderedRuleProblems(values: Values): Problem[] {
  const out: Problem[] = [];
  for (const c of ["controller", "speaker"] as const) {
    out.push(...resourceProblems(values, c), ...tolerationProblems(values, c));
    out.push(...labelProblems([c, "nodeSelector"], values[c].nodeSelector));
  }
  for (const [list, objects] of Object.entries(values.config ?? {}))
    (objects as { labels?: Record<string, string> }[] | undefined)?.forEach((o, i) => {
      if (o.labels) out.push(...labelProblems(["config", list, i, "labels"], o.labels));
    });
  return out;
}
