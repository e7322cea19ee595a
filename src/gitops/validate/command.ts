// `metallb-ts validate [path]`: prints `file:line:yaml.path: problem — fix` lines and a summary;
// exit status 1 when any error was found, 2 when the path cannot be checked.
import { validateTree } from "./tree-check.js";

const USAGE = `usage: metallb-ts validate [PATH]

Checks every cluster of the GitOps repository at PATH (default ".") — or the one overlay PATH
names — as Flux and Helm would take it: each override-values.yaml against the chart's schema and
the API's rules, the kustomize and helm output, and the Flux objects. Prints one line per problem
(file:line:yaml.path: problem — fix) and a summary.

exit status: 0 no errors, 1 errors found, 2 PATH cannot be checked
`;

export async function validateCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [path = ".", ...extra] = args;
  if (extra.length) {
    process.stderr.write(`metallb-ts validate: one path at most, got ${args.join(" ")}\n`);
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
  for (const line of result.lines) process.stdout.write(`${line}\n`);
  process.stdout.write(
    `metallb-ts validate: ${result.clusters.length} cluster(s) (${result.clusters.join(", ")}), ` +
      `${result.errors} error(s), ${result.warnings} warning(s)\n`,
  );
  return result.errors ? 1 : 0;
}
