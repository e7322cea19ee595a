// buildah as this machine can run it: no daemon, vfs storage under the cache (not
// /var/lib/containers), chroot isolation (no OCI runtime needed).
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { run } from "../sys/proc.js";

export class Buildah {
  constructor(
    readonly bin: string,
    /** Holds storage/ and run/ for this checkout's builds only. */
    readonly stateDir: string,
  ) {
    mkdirSync(stateDir, { recursive: true });
  }

  /** The global options every buildah call needs; also for commands run by the tests. */
  argv(...args: string[]): string[] {
    return [
      this.bin,
      "--root",
      join(this.stateDir, "storage"),
      "--runroot",
      join(this.stateDir, "run"),
      "--storage-driver",
      "vfs",
      ...args,
    ];
  }

  private call(args: string[], timeoutMs = 120_000): Promise<string> {
    return run(this.argv(...args), { timeoutMs });
  }

  /** Builds from a Containerfile with every timestamp set to `epoch`; returns the image id. */
  async build(opts: {
    containerfile: string;
    context: string;
    tag: string;
    epoch: number;
    labels: Record<string, string>;
  }): Promise<string> {
    const iidfile = join(this.stateDir, `iid-${process.pid}`);
    try {
      await this.call(
        [
          "build",
          "--isolation",
          "chroot",
          "--format",
          "oci",
          "--timestamp",
          String(opts.epoch),
          "--omit-history",
          "--identity-label=false",
          "--layers",
          "--no-cache",
          "--pull=never",
          "--iidfile",
          iidfile,
          "--file",
          opts.containerfile,
          "--tag",
          opts.tag,
          ...Object.entries(opts.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
          opts.context,
        ],
        20 * 60_000,
      );
      return readFileSync(iidfile, "utf8").trim();
    } finally {
      rmSync(iidfile, { force: true });
    }
  }

  /** Writes the image as an OCI archive whose one manifest is named `ref`. */
  async pushArchive(image: string, archive: string, ref: string): Promise<void> {
    await this.call(["push", "--quiet", image, `oci-archive:${archive}:${ref}`], 20 * 60_000);
  }

  async rmi(image: string): Promise<void> {
    await this.call(["rmi", "--force", image]);
  }

  /** Runs a clean-up command; returns its error instead of throwing (what stays, stays). */
  private async attempt(args: string[]): Promise<string | undefined> {
    try {
      await this.call(args);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /** Removes an image unless a working container uses it; returns why not, or undefined. */
  rmiUnused(image: string): Promise<string | undefined> {
    return this.attempt(["rmi", image]);
  }

  /**
   * Removes dangling images: the per-instruction layers a build leaves (vfs copies each). Images
   * that working containers still use stay; the error saying so is returned.
   */
  prune(): Promise<string | undefined> {
    return this.attempt(["rmi", "--prune"]);
  }

  /** A working container from an OCI archive; returns its name. */
  async from(archive: string, name: string): Promise<string> {
    return (
      await this.call(
        ["from", "--pull=never", "--name", name, `oci-archive:${archive}`],
        10 * 60_000,
      )
    ).trim();
  }

  async mount(container: string): Promise<string> {
    return (await this.call(["mount", container])).trim();
  }

  /** Removes a working container (and unmounts it). */
  async rm(container: string): Promise<void> {
    await this.call(["rm", container]);
  }

  /** Every working container's name: for sweeping those of dead test runs. */
  async containers(): Promise<string[]> {
    const out = await this.call(["containers", "--format", "{{.ContainerName}}"]);
    return out.split("\n").filter(Boolean);
  }
}
