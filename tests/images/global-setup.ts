// Builds the images once for the suite (nothing is rebuilt when the inputs' hash matches the last
// build), removes working containers left by crashed runs, and starts the API server the
// controller image is run against (the kube suite's setup, reused). Afterwards it removes the
// images the tests imported.
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildImages, type ImagesManifest } from "../../src/images/build.js";
import kubeSetup from "../kube/global-setup.js";
import { imagesBuildah, sweepStaleContainers } from "./stale.js";

declare module "vitest" {
  export interface ProvidedContext {
    images: { repo: string; manifest: ImagesManifest };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const repo = join(import.meta.dirname, "../..");
  const manifest = await buildImages({
    repo,
    log: (line) => process.stderr.write(`[images] ${line}\n`),
  });
  const buildah = imagesBuildah(repo);
  await sweepStaleContainers(buildah);
  project.provide("images", { repo, manifest });
  const stopKube = await kubeSetup(project);
  return async () => {
    await stopKube();
    // The images the tests imported from the archives (vfs keeps a full copy of each layer);
    // another run's containers may still use them, and then they stay.
    for (const image of manifest.images) await buildah.rmiUnused(image.reference);
  };
}
