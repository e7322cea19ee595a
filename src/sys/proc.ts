// Child processes owned by the lab: started with their output in a log file, stopped by PID.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export class CommandError extends Error {
  constructor(
    readonly command: string[],
    readonly stderr: string,
    cause: unknown,
    /** When the program itself was not found: what to do about it. */
    readonly missingFix?: string,
  ) {
    super(
      missingFix
        ? `${command[0]} not found. Fix: ${missingFix}`
        : `command failed: ${command.join(" ")}\n${stderr.trim()}`,
      { cause },
    );
    this.name = "CommandError";
  }
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  cwd?: string;
  /** Said when the program does not exist (e.g. "run `npm run provision`"). */
  missingFix?: string;
}

/** Runs a command to completion; rejects with the command line and its stderr. */
export async function run(argv: string[], opts: RunOptions = {}): Promise<string> {
  const [file, ...args] = argv;
  if (!file) throw new Error("run: empty command");
  try {
    if (opts.input !== undefined) return await runWithInput(file, args, opts.input);
    const { stdout } = await execFileP(file, args, {
      timeout: opts.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    return stdout;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    const stderr = (err as { stderr?: string }).stderr || String(err);
    throw new CommandError(argv, stderr, err, missing ? opts.missingFix : undefined);
  }
}

function runWithInput(file: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(Object.assign(new Error(`exit ${code}`), { stderr: err })),
    );
    child.stdin.end(input);
  });
}

export interface Managed {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  stop(graceMs?: number): Promise<void>;
  log(): string;
}

/** Starts a long-running process with stdout+stderr appended to logFile. */
export function startProcess(
  name: string,
  argv: string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): Managed {
  return manage(name, argv, logFile, false, env).managed;
}

/** A process that talks over stdin/stdout (stderr goes to its log file). */
export interface PipedProcess extends Managed {
  readonly stdin: Writable;
  readonly stdout: Readable;
}

export function startPipedProcess(name: string, argv: string[], logFile: string): PipedProcess {
  const { managed, child } = manage(name, argv, logFile, true);
  if (!child.stdin || !child.stdout) throw new Error(`could not open the pipes of ${name}`);
  return Object.assign(managed, { stdin: child.stdin, stdout: child.stdout });
}

function manage(
  name: string,
  argv: string[],
  logFile: string,
  piped: boolean,
  env?: NodeJS.ProcessEnv,
): { managed: Managed; child: ChildProcess } {
  const [file, ...args] = argv;
  if (!file) throw new Error(`startProcess ${name}: empty command`);
  const fd = openSync(logFile, "a");
  const child: ChildProcess = spawn(file, args, {
    stdio: piped ? ["pipe", "pipe", fd] : ["ignore", fd, fd],
    detached: false,
    ...(env ? { env } : {}),
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name}: ${argv.join(" ")}`);
  const pid = child.pid;
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
    child.on("error", () => resolve("spawn-error"));
  });
  let done = false;
  void exited.then(() => (done = true));
  const managed: Managed = {
    name,
    pid,
    logFile,
    exited,
    log: () => readFileSync(logFile, "utf8"),
    async stop(graceMs = 5000) {
      if (done) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return { managed, child };
}

/** True when a PID is alive and its executable is `exe` (guards against PID reuse). */
export function isOurProcess(pid: number, exe: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] === exe;
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` +
          (last instanceof Error ? `: ${last.message}` : ""),
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A command line written as one template: the literal text splits at spaces, each interpolated
 * value stays one argument (whatever it contains). argv`ip -n ${ns} link set ${dev} up`.
 */
export function argv(strings: TemplateStringsArray, ...values: (string | number)[]): string[] {
  const out: string[] = [];
  let word: string | undefined;
  strings.forEach((text, i) => {
    text.split(" ").forEach((part, j) => {
      if (j > 0) {
        if (word !== undefined) out.push(word);
        word = undefined;
      }
      if (part) word = (word ?? "") + part;
    });
    if (i < values.length) word = (word ?? "") + String(values[i]);
  });
  if (word !== undefined) out.push(word);
  return out;
}
