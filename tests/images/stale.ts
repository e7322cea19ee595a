// Working containers of the image tests are named after the test process; those of runs that
// died are removed at the next start (imported by the global setup, so no vitest import here).
import { buildahFor } from "../../src/images/build.js";
import type { Buildah } from "../../src/images/buildah.js";
import { isAlive } from "../../src/sys/proc.js";
import { systemTool } from "../../src/sys/tools.js";

export const CONTAINER_PREFIX = "mlbts-img-";

export const imagesBuildah = (repo: string): Buildah => buildahFor(systemTool("buildah"), repo);

export async function sweepStaleContainers(buildah: Buildah): Promise<void> {
  for (const name of await buildah.containers()) {
    const owner = new RegExp(`^${CONTAINER_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (owner !== undefined && !isAlive(Number(owner))) await buildah.rm(name);
  }
}
