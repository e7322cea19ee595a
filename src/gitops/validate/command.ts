// `metallb-ts validate [path]`: prints `file:line:yaml.path: problem — fix` lines and a summary;
// exit status 1 when any error was found, 2 when the path cannot be checked.
import { findingJson } from "./problem.js";
import { validateTree } from "./tree-check.js";

const USAGE = `usage: metallb-ts validate [--format text|json] [PATH]

Checks every cluster of the GitOps repository at PATH (default ".") — or the one overlay PATH
names — as Flux and Helm would take it: each override-values.yaml against the chart's schema and
the API's rules, the kustomize and helm output, and the Flux objects. Prints one line per problem
(file:line:yaml.path: problem — fix) and a summary. A cluster clusters.yaml declares without its
override file is an error.

--format json prints one JSON object instead, for CI systems:
  {"clusters": [...], "errors": N, "warnings": N,
   "problems": [{"file", "line"?, "path", "severity", "problem", "fix"}, ...]}

exit status: 0 no errors, 1 errors found, 2 PATH cannot be checked
`;

export async function validateCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const rest = [...args];
  let format = "text";
  const at = rest.findIndex((a) => a === "--format" || a.startsWith("--format="));
  if (at >= 0) {
    const [flag = ""] = rest.splice(at, 1);
    format = flag.includes("=") ? flag.slice("--format=".length) : (rest.splice(at, 1)[0] ?? "");
  }
  if (format !== "text" && format !== "json") {
    process.stderr.write(
      `metallb-ts validate: --format ${format || "(missing)"} is not text or json\n${USAGE}`,
    );
    return 2;
  }
  const unknown = rest.find((a) => a.startsWith("-"));
  if (unknown) {
    process.stderr.write(`metallb-ts validate: unknown flag ${unknown}\n${USAGE}`);
    return 2;
  }
  const [path = ".", ...extra] = rest;
  if (extra.length) {
    process.stderr.write(`metallb-ts validate: one path at most, got ${rest.join(" ")}\n`);
    return 2;
  }
  let result;
  try {
    result = await validateTree(path);
  } catch (err) {
    process.stderr.write(
      `metallb-ts validate: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 2;
  }
  if (format === "json") {
    const { clusters, errors, warnings } = result;
    process.stdout.write(
      `${JSON.stringify({ clusters, errors, warnings, problems: result.findings.map(findingJson) }, null, 2)}\n`,
    );
    return errors ? 1 : 0;
  }
  for (const line of result.lines) process.stdout.write(`${line}\n`);
  process.stdout.write(
    `metallb-ts validate: ${result.clusters.length} cluster(s) (${result.clusters.join(", ")}), ` +
      `${result.errors} error(s), ${result.warnings} warning(s)\n`,
  );
  return result.errors ? 1 : 0;
}
