// Runs an external tool (helm, kubectl) and returns its output; a failure says which command
// failed, with its own message, and what to do when the tool is missing.
import { execFile } from "node:child_process";

export class ToolError extends Error {
  constructor(
    readonly command: string,
    readonly output: string,
  ) {
    super(`${command} failed: ${output.trim()}`);
    this.name = "ToolError";
  }
}

export function run(
  bin: string,
  args: string[],
  options: { cwd?: string; missingFix: string },
): Promise<string> {
  const command = [bin.split("/").pop(), ...args].join(" ");
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        if ((err as NodeJS.ErrnoException).code === "ENOENT")
          return reject(new ToolError(command, `${bin} not found. Fix: ${options.missingFix}`));
        reject(new ToolError(command, stderr || err.message));
      },
    );
  });
}
