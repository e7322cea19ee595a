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

const hasKustomization = (dir: string) => KUSTOMIZATION_FILES.some((f) => existsSync(join(dir, f)));

/**
 * What Flux applies for a path: kustomize's build when the directory has a kustomization file;
 * otherwise, as kustomize-controller does, every Kubernetes manifest under it (files without
 * apiVersion and kind are skipped), and the build of each subdirectory that has its own
 * kustomization file (e.g. the one `flux bootstrap` writes).
 */
export async function fluxBuild(dir: string): Promise<KubeObject[]> {
  if (hasKustomization(dir)) return kustomizeBuild(dir);
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  const objects: KubeObject[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) objects.push(...(await fluxBuild(path)));
    else if (/\.ya?ml$/.test(e.name))
      objects.push(
        ...parseManifests(readFileSync(path, "utf8")).filter((o) => o.apiVersion && o.kind),
      );
  }
  return objects;
}
