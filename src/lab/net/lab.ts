// Builds a Topology into real namespaces, runs processes inside them, and removes everything.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  isAlive,
  run,
  startPipedProcess,
  startProcess,
  type Managed,
  type PipedProcess,
} from "../../sys/proc.js";
import {
  LAB_PREFIX,
  buildPlan,
  checkTopology,
  labNames,
  type LabNames,
  type Topology,
} from "./topology.js";

let counter = 0;
const OWNED = new RegExp(`^${LAB_PREFIX}-(\\d+)x\\d+-`);

async function listNamespaces(): Promise<string[]> {
  const out = await run(["ip", "netns", "list"]);
  return out
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(`${LAB_PREFIX}-`));
}

/** Ends the processes inside a namespace (all were started by the lab) and deletes it. */
async function removeNamespace(ns: string): Promise<void> {
  const pids = (await run(["ip", "netns", "pids", ns]).catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await run(["ip", "netns", "del", ns]).catch(() => undefined);
}

/** Removes lab namespaces whose creating process has died (a crashed earlier run). */
export async function sweepStaleLabs(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((ns) => {
    const owner = OWNED.exec(ns)?.[1];
    return owner !== undefined && !isAlive(Number(owner));
  });
  for (const ns of stale) await removeNamespace(ns);
  return stale;
}

export class Lab {
  private readonly procs: Managed[] = [];

  private constructor(
    readonly topology: Topology,
    readonly names: LabNames,
    /** Scratch directory for configs, sockets and logs of this lab. */
    readonly dir: string,
  ) {}

  static async create(topology: Topology): Promise<Lab> {
    const errors = checkTopology(topology);
    if (errors.length) throw new Error(`invalid lab topology:\n  ${errors.join("\n  ")}`);
    if (process.getuid?.() !== 0) {
      throw new Error("the network lab needs root (network namespaces); run the tests as root");
    }
    await sweepStaleLabs();
    const names = labNames(`${process.pid}x${counter++}`);
    const dir = mkdtempSync(join(tmpdir(), `${LAB_PREFIX}-${names.labId}-`));
    chmodSync(dir, 0o755); // daemons that drop privileges (FRR) must reach their files
    const lab = new Lab(topology, names, dir);
    try {
      for (const cmd of buildPlan(topology, names)) await run(cmd);
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  ns(host: string): string {
    if (!this.topology.hosts.some((h) => h.name === host))
      throw new Error(`lab has no host "${host}"`);
    return this.names.hostNs(host);
  }

  /** Runs a command to completion inside a host's namespace. */
  exec(
    host: string,
    argv: string[],
    opts: { input?: string; timeoutMs?: number } = {},
  ): Promise<string> {
    return run(["ip", "netns", "exec", this.ns(host), ...argv], opts);
  }

  /** Starts a long-running process inside a host's namespace; stopped by destroy(). */
  spawn(host: string, name: string, argv: string[]): Managed {
    return this.start(startProcess, host, name, argv);
  }

  /** A process started some other way in a host's namespace (a container); stopped by destroy(). */
  adopt<P extends Managed>(proc: P): P {
    this.procs.push(proc);
    return proc;
  }

  /** Like spawn, with stdin/stdout as pipes (stderr goes to the log file). */
  spawnPiped(host: string, name: string, argv: string[]): PipedProcess {
    return this.start(startPipedProcess, host, name, argv);
  }

  private start<P extends Managed>(
    starter: (name: string, argv: string[], logFile: string) => P,
    host: string,
    name: string,
    argv: string[],
  ): P {
    const proc = starter(
      name,
      ["ip", "netns", "exec", this.ns(host), ...argv],
      join(this.dir, `${name}.log`),
    );
    this.procs.push(proc);
    return proc;
  }

  /** Every lab namespace that exists right now (for leak checks). */
  async namespaces(): Promise<string[]> {
    return (await listNamespaces()).filter((ns) =>
      ns.startsWith(`${LAB_PREFIX}-${this.names.labId}-`),
    );
  }

  async destroy(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop(3000)));
    for (const ns of await this.namespaces()) await removeNamespace(ns);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
