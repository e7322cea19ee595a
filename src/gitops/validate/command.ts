// `metallb-ts validate [path]`: prints `file:line:yaml.path: problem — fix` lines and a summary;
// exit status 1 when any error was found, 2 when the path cannot be checked.
import { validateTree } from "./tree-check.js";

export async function validateCommand(args: string[]): Promise<number> {
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
