// One shape for everything wrong with a configuration, whoever finds it: the object (kind and
// name), the field inside it, what is wrong and how to mend it. The controller and the speaker
// turn problems into conditions, events and ConfigurationState lines; `metallb-ts validate` turns
// them into file:line:yaml.path lines.

/** A step of a path into an object: a field name or a list index. */
export type PathSegment = string | number;

/** The metallb.io kinds that make up a configuration. */
export type ConfigKind =
  "IPAddressPool" | "L2Advertisement" | "BGPAdvertisement" | "BGPPeer" | "BFDProfile" | "Community";

export type Severity = "error" | "warning";

export interface Problem {
  kind: ConfigKind;
  /** The object's name. */
  name: string;
  /** The field inside the object, e.g. ["spec", "addresses", 0]; empty for the whole object. */
  field: PathSegment[];
  message: string;
  fix: string;
  /** Errors mean some of the configuration is not applied; warnings are advice. */
  severity: Severity;
}

export const problem = (
  kind: ConfigKind,
  name: string,
  field: PathSegment[],
  message: string,
  fix: string,
  severity: Severity = "error",
): Problem => ({ kind, name, field, message, fix, severity });

/** "spec.addresses[0]" */
export function formatField(field: readonly PathSegment[]): string {
  return field.map((s, i) => (typeof s === "number" ? `[${s}]` : i ? `.${s}` : s)).join("");
}

/** The problem as one sentence: what is wrong, then the fix (when it is not in the message). */
export const describeProblem = (p: Problem): string =>
  p.fix ? `${p.message}; ${p.fix}` : p.message;

/** "Kind name: field: message; fix", the form runtime reports use. */
export function problemLine(p: Problem): string {
  const field = p.field.length ? `${formatField(p.field)}: ` : "";
  return `${p.kind} ${p.name}: ${field}${describeProblem(p)}`;
}

const KIND_ORDER: readonly ConfigKind[] = [
  "IPAddressPool",
  "L2Advertisement",
  "BGPAdvertisement",
  "BGPPeer",
  "BFDProfile",
  "Community",
];

/** Sorted by kind, object and field, without repeats: the same configuration reads the same. */
export function orderProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  const key = (p: Problem) =>
    [KIND_ORDER.indexOf(p.kind), p.name, formatField(p.field), p.message].join("\u0000");
  return [...problems]
    .sort((a, b) => {
      const ka = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
      if (ka) return ka;
      const [x, y] = [key(a), key(b)];
      return x < y ? -1 : x > y ? 1 : 0;
    })
    .filter((p) => {
      const k = key(p);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}
