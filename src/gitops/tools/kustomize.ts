// `kubectl kustomize <dir>`: kustomize as built into kubectl.
import { parseManifests, type KubeObject } from "./helm.js";
import { run } from "../../sys/proc.js";

export async function kustomizeBuild(dir: string): Promise<KubeObject[]> {
  const out = await run(["kubectl", "kustomize", dir], {
    missingFix: "install kubectl (it carries kustomize)",
  });
  return parseManifests(out);
}
