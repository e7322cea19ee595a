// ajv findings in words a platform engineer can act on: the field, what is wrong, the fix.
import type { ErrorObject, ValidateFunction } from "ajv";
import { DURATION_PATTERN, OBJECT_NAME_PATTERN } from "../../api/schema/k8s.js";
import { error, type PathSegment, type Problem } from "./problem.js";

type Schema = {
  description?: string;
  properties?: Record<string, unknown>;
  anyOf?: { const?: unknown }[];
};

/** "/config/ipAddressPools/0/name" → ["config", "ipAddressPools", 0, "name"] */
export function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

const show = (v: unknown) => JSON.stringify(v);

/** "Gold_Pool" → "gold-pool": the nearest valid object name, for the fix text. */
const suggestedName = (v: unknown): string =>
  String(v)
    .toLowerCase()
    .replace(/[^-a-z0-9.]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "main";

function describe(
  e: ErrorObject,
  value: unknown,
): { path: PathSegment[]; problem: string; fix: string } {
  const path = pointerToPath(e.instancePath);
  const parent = (e.parentSchema ?? {}) as Schema;
  const p = e.params as Record<string, unknown>;
  const hint = parent.description ? ` (${parent.description.replace(/\.$/, "")})` : "";
  if (value === null && e.keyword !== "required")
    return {
      path,
      problem: "null removes the chart's default here (Helm deletes keys set to null)",
      fix: "remove the line to keep the default, or give a value",
    };
  switch (e.keyword) {
    case "additionalProperties": {
      const known = Object.keys(parent.properties ?? {});
      return {
        path: [...path, String(p.additionalProperty)],
        problem: `unknown field "${String(p.additionalProperty)}"`,
        fix: known.length
          ? `remove it or correct the spelling; allowed here: ${known.join(", ")}`
          : "remove it",
      };
    }
    case "required":
      return {
        path: [...path, String(p.missingProperty)],
        problem: `required field "${String(p.missingProperty)}" is missing`,
        fix: `add ${String(p.missingProperty)}`,
      };
    case "type":
      // A number in quotes is text to YAML: the usual slip, with the plain fix.
      if (
        typeof value === "string" &&
        /^(integer|number)$/.test(String(p.type)) &&
        /^-?\d+(\.\d+)?$/.test(value.trim())
      )
        return {
          path,
          problem: `${show(value)} is quoted, so YAML reads text where a number belongs`,
          fix: `remove the quotes: ${value.trim()}`,
        };
      return {
        path,
        problem: `${show(value)} is not of type ${String(p.type)}`,
        fix: `write ${/^[aeiou]/.test(String(p.type)) ? "an" : "a"} ${String(p.type)}${hint}`,
      };
    case "enum":
      return {
        path,
        problem: `${show(value)} is not one of ${(p.allowedValues as unknown[]).map(show).join(", ")}`,
        fix: "use one of the allowed values",
      };
    case "pattern":
      if (p.pattern === OBJECT_NAME_PATTERN)
        return {
          path,
          problem: `${show(value)} is not a valid Kubernetes object name`,
          fix: `use lowercase letters, digits, "-" and ".", beginning and ending with a letter or digit, e.g. ${show(suggestedName(value))}${hint}`,
        };
      if (p.pattern === DURATION_PATTERN)
        return {
          path,
          problem: `${show(value)} is not a duration`,
          fix: `write a number with its unit, e.g. 90s, 1m30s or 300ms${hint}`,
        };
      return {
        path,
        problem: `${show(value)} does not have the expected form`,
        fix: `write a value matching ${String(p.pattern)}${hint}`,
      };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return {
        path,
        problem: `${show(value)} ${e.message ?? "is out of range"}`,
        fix: `use a value ${String(p.comparison)} ${String(p.limit)}${hint}`,
      };
    case "minItems":
    case "maxItems":
    case "minLength":
    case "maxLength":
      return {
        path,
        problem: `${show(value)} ${e.message ?? "has the wrong size"}`,
        fix: `adjust it${hint}`,
      };
    case "anyOf": {
      const consts = (parent.anyOf ?? []).filter((b) => "const" in b).map((b) => show(b.const));
      return consts.length === (parent.anyOf ?? []).length
        ? {
            path,
            problem: `${show(value)} is not one of ${consts.join(", ")}`,
            fix: "use one of the allowed values",
          }
        : { path, problem: `${show(value)} is not an accepted value`, fix: `correct it${hint}` };
    }
    case "x-kubernetes-list-type":
      return {
        path,
        problem: e.message ?? "repeats an earlier item",
        fix:
          p.listType === "map"
            ? `give each entry its own ${Object.keys(p.keys ?? {}).join(" and ")}, or merge the two: the API server refuses two entries with the same key here`
            : "remove the repeat: the API server refuses a repeated item in this list",
      };
    default:
      return { path, problem: e.message ?? `fails ${e.keyword}`, fix: `correct the value${hint}` };
  }
}

export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/**
 * Problems for a document; `skip` filters paths another check reports better. Union branches
 * (anyOf) are reported once, as the failing union itself.
 */
export function schemaProblems(
  validate: ValidateFunction,
  doc: unknown,
  skip: (path: PathSegment[]) => boolean = () => false,
): Problem[] {
  if (validate(doc)) return [];
  const errors = validate.errors ?? [];
  const unions = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of errors) {
    if (e.keyword !== "anyOf" && unions.has(e.instancePath)) continue;
    if (e.keyword === "allOf" || e.keyword === "if") continue;
    const d = describe(e, valueAt(doc, pointerToPath(e.instancePath)));
    if (skip(d.path)) continue;
    const key = `${d.path.join("/")}|${d.problem}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(error(d.path, d.problem, d.fix));
  }
  return out;
}
