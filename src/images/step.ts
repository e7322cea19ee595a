// Named build steps: a failure names the step and the fix instead of surfacing a bare stack, and
// outputs appear under their final name only once they are complete.
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CommandError } from "../sys/proc.js";

export class BuildStepError extends Error {
  constructor(
    readonly step: string,
    readonly detail: string,
    readonly fix: string,
    cause?: unknown,
  ) {
    super(`images: step "${step}" failed: ${detail}\nfix: ${fix}`, { cause });
    this.name = "BuildStepError";
  }
}

/** The last lines of a failed command's stderr: enough to see the cause, not a whole log. */
function describe(err: unknown): string {
  if (err instanceof CommandError) {
    const tail = err.stderr.trim().split("\n").slice(-25).join("\n");
    return `${err.command.join(" ")}\n${tail}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export type Log = (line: string) => void;

/** Runs one step; any error becomes a BuildStepError carrying this step's name and fix. */
export async function step<T>(
  log: Log,
  name: string,
  fix: string,
  fn: () => Promise<T> | T,
): Promise<T> {
  const start = Date.now();
  log(`${name} …`);
  try {
    const value = await fn();
    log(`${name} done (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    return value;
  } catch (err) {
    if (err instanceof BuildStepError) throw err;
    throw new BuildStepError(name, describe(err), fix, err);
  }
}

/**
 * Produces `path` through a temporary sibling and renames it into place only when `produce`
 * succeeded, so that a failed or interrupted build never leaves a file that looks complete.
 */
export async function writeAtomically<T>(
  path: string,
  produce: (tmp: string) => Promise<T>,
): Promise<T> {
  const tmp = join(dirname(path), `.${basename(path)}.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    const value = await produce(tmp);
    renameSync(tmp, path);
    return value;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

export function writeFileAtomically(path: string, content: string): Promise<void> {
  return writeAtomically(path, (tmp) => Promise.resolve(writeFileSync(tmp, content)));
}
