// Checks one override-values.yaml: YAML syntax, the override JSON Schema, the hardening rules
// (with their reasons), then what only makes sense on the values Helm will see (the override
// merged over the base), including the cluster configuration's cross-object rules.
import type { ValidateFunction } from "ajv";
import { HARDENING_RULES, type HardeningRule } from "../../api/values/hardening.js";
import { overrideSchema } from "../../api/values/override.js";
import type { Values } from "../../api/values/schema.js";
import { makeAjv } from "./ajv.js";
import { configProblems } from "./config-check.js";
import { mergeValues } from "./merge.js";
import { renderedRuleProblems } from "./rendered-rules.js";
import { configSelectorProblems } from "./selector-rules.js";
import {
  error,
  finding,
  formatFinding,
  type Finding,
  type PathSegment,
  type Problem,
} from "./problem.js";
import { schemaProblems, valueAt } from "./schema-check.js";
import { parseYamlSource } from "./yaml-source.js";

interface Compiled {
  override: ValidateFunction;
  rules: { rule: HardeningRule; validate: ValidateFunction }[];
}

let compiled: Compiled | undefined;
function validators(): Compiled {
  if (!compiled) {
    const ajv = makeAjv({ verbose: true });
    compiled = {
      override: ajv.compile(overrideSchema()),
      rules: HARDENING_RULES.map((rule) => ({ rule, validate: ajv.compile(rule.schema) })),
    };
  }
  return compiled;
}

const startsWith = (path: readonly PathSegment[], prefix: readonly PathSegment[]) =>
  prefix.every((p, i) => path[i] === p);

function hardeningProblems(doc: unknown): Problem[] {
  return validators().rules.flatMap(({ rule, validate }) => {
    const value = valueAt(doc, rule.path);
    if (value === undefined || validate(value)) return [];
    return [
      error([...rule.path], `${JSON.stringify(value)} is refused: ${rule.problem}`, rule.fix),
    ];
  });
}

function settingsProblems(values: Values): Problem[] {
  const out: Problem[] = [];
  const c = values.controller;
  if (c.podDisruptionBudget.minAvailable >= c.replicas)
    out.push(
      error(
        ["controller", "podDisruptionBudget", "minAvailable"],
        `minAvailable ${c.podDisruptionBudget.minAvailable} with ${c.replicas} replica(s) lets no controller pod be evicted, so node drains block`,
        `use a minAvailable below controller.replicas (${c.replicas})`,
      ),
    );
  for (const component of ["controller", "speaker"] as const) {
    const image = values[component].image;
    if (!image.tag && !image.digest)
      out.push(
        error(
          [component, "image", "tag"],
          "the image is pinned by neither a tag nor a digest",
          "set image.tag (e.g. 0.1.0) or image.digest (sha256:…)",
        ),
      );
  }
  const s = values.speaker;
  const ports = [
    ["metricsPort", s.metricsPort],
    ["healthPort", s.healthPort],
    ["heartbeatPort", s.heartbeatPort],
  ] as const;
  ports.forEach(([name, port], i) => {
    const clash = ports.slice(0, i).find(([, p]) => p === port);
    if (clash)
      out.push(
        error(
          ["speaker", name],
          `port ${port} is also speaker.${clash[0]}; both bind on the node (hostNetwork)`,
          "give each speaker port its own number",
        ),
      );
  });
  if (c.metricsPort === c.healthPort)
    out.push(
      error(
        ["controller", "healthPort"],
        `port ${c.healthPort} is also controller.metricsPort`,
        "give the health and metrics endpoints different ports",
      ),
    );
  return out;
}

export interface OverrideReport {
  problems: Problem[];
  lineOf(path: readonly PathSegment[]): number | undefined;
  /** The merged values Helm will render with (undefined when the file does not parse). */
  merged?: Values;
}

export function checkOverride(text: string, base: Values, namespace: string): OverrideReport {
  const source = parseYamlSource(text);
  if (source.syntaxErrors.length)
    return {
      problems: source.syntaxErrors.map((e) => ({
        ...error([], `YAML syntax error: ${e.message}`, "fix the YAML syntax"),
        line: e.line,
      })),
      lineOf: () => undefined,
    };
  const doc = source.value ?? {};
  const v = validators();
  // A refused hardening setting is reported once, by its rule (which says why); the schema's other
  // findings under the same parent (a malformed quantity in the limits) still are.
  const hardening = hardeningProblems(doc);
  const covered = (path: PathSegment[]) =>
    hardening.some((h) => startsWith(path, h.path) || startsWith(h.path, path));
  const schema = schemaProblems(v.override, doc, covered);
  const problems = [...schema, ...hardening];
  if (problems.length) return { problems, lineOf: (p) => source.lineOf(p) };
  const merged = mergeValues(base, doc) as Values;
  return {
    problems: [
      ...settingsProblems(merged),
      ...renderedRuleProblems(merged),
      ...configSelectorProblems(merged),
      ...configProblems(merged.config, namespace, merged),
    ],
    lineOf: (p) => source.lineOf(p),
    merged,
  };
}

/** The report's problems in `file`, errors first, each with its line. */
export function reportFindings(file: string, report: OverrideReport): Finding[] {
  const ordered = [...report.problems].sort(
    (a, b) => Number(a.severity === "warning") - Number(b.severity === "warning"),
  );
  return ordered.map((p) => finding(file, p.line ?? report.lineOf(p.path), p));
}

export function reportLines(file: string, report: OverrideReport): string[] {
  return reportFindings(file, report).map(formatFinding);
}
