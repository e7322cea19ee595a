// One finding of `metallb-ts validate`: where (a YAML path), what is wrong, and how to fix it.
export type PathSegment = string | number;

export interface Problem {
  path: PathSegment[];
  problem: string;
  fix: string;
  /** Warnings are printed but do not fail the run. */
  severity: "error" | "warning";
  /** Set when the line is known without a path (YAML syntax errors). */
  line?: number;
}

export const error = (path: PathSegment[], problem: string, fix: string): Problem => ({
  path,
  problem,
  fix,
  severity: "error",
});

export const warning = (path: PathSegment[], problem: string, fix: string): Problem => ({
  path,
  problem,
  fix,
  severity: "warning",
});

/** config.ipAddressPools[0].spec.addresses[1] */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (
      /^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg) ||
      (!out && /^[A-Za-z]+\/[a-z0-9.-]+$/.test(seg))
    )
      out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || "(document)";
}

/** `file:line:yaml.path: problem — fix` (the line when known), warnings marked as such. */
export function formatProblem(file: string, line: number | undefined, p: Problem): string {
  const where = line === undefined ? file : `${file}:${line}`;
  const tag = p.severity === "warning" ? "warning: " : "";
  return `${where}:${formatPath(p.path)}: ${tag}${p.problem} — ${p.fix}`;
}

/** A problem in a file: what `validate` reports, as text or as JSON. */
export interface Finding {
  /** Relative to the repository root. */
  file: string;
  line?: number;
  problem: Problem;
}

export const finding = (file: string, line: number | undefined, problem: Problem): Finding => ({
  file,
  ...(line === undefined ? {} : { line }),
  problem,
});

export const formatFinding = (f: Finding): string => formatProblem(f.file, f.line, f.problem);

/** The shape of `validate --format json`'s entries: flat, the path in its dotted form too. */
export function findingJson(f: Finding): Record<string, unknown> {
  return {
    file: f.file,
    ...(f.line === undefined ? {} : { line: f.line }),
    path: formatPath(f.problem.path),
    severity: f.problem.severity,
    problem: f.problem.problem,
    fix: f.problem.fix,
  };
}
