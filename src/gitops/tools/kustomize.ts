// `kubectl kustomize <dir>`: kustomize as built into kubectl; and the build Flux's
// kustomize-controller does of a directory without a kustomization.yaml.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseManifests, type KubeObject } from "./helm.js";
import { run } from "../../sys/proc.js";

export async function kustomizeBuild(dir: string): Promise<KubeObject[]> {
  const out = await run(["kubectl", "kustomize", dir], {
    missingFix: "install kubectl (it carries kustomize)",
  });
  return parseManifests(out);
}

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/** One thing Flux builds under a path: a kustomization directory, or a plain manifest file. */
export interface FluxUnit {
  /** The file to name in messages: the kustomization file, or the manifest file. */
  file: string;
  build(): Promise<KubeObject[]>;
}

/**
 * What Flux applies for a path, unit by unit: kustomize's build when the directory has a
 * kustomization file; otherwise, as kustomize-controller does, every Kubernetes manifest under
 * it (documents without apiVersion and kind are skipped) and the build of each subdirectory with
 * its own kustomization file (e.g. the one `flux bootstrap` writes).
 */
export function fluxUnits(dir: string): FluxUnit[] {
  const own = KUSTOMIZATION_FILES.find((f) => existsSync(join(dir, f)));
  if (own) return [{ file: join(dir, own), build: () => kustomizeBuild(dir) }];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e): FluxUnit[] => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return fluxUnits(path);
      if (!/\.ya?ml$/.test(e.name)) return [];
      return [
        {
          file: path,
          build: () =>
            Promise.resolve(
              parseManifests(readFileSync(path, "utf8")).filter((o) => o.apiVersion && o.kind),
            ),
        },
      ];
    });
}
