// `flux build kustomization`: what kustomize-controller will apply for one Flux Kustomization
// (its path built as the controller builds it, with the object's patches, images, namePrefix,
// targetNamespace, components and postBuild substitutions), offline (--dry-run). The provisioned
// flux (tools/provision.sh) is preferred; on a workstation without it, flux from PATH.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { stringify } from "yaml";
import { cachedTool } from "../../sys/tools.js";
import { CommandError, run } from "../../sys/proc.js";
import { parseManifests, type KubeObject } from "./helm.js";

function fluxBin(): string {
  try {
    return cachedTool("flux");
  } catch {
    return "flux";
  }
}

/** Thrown when no flux CLI is installed (the caller falls back to kustomize and says so). */
export class FluxMissingError extends Error {
  constructor() {
    super("the flux CLI is not installed");
    this.name = "FluxMissingError";
  }
}

/**
 * The objects Flux builds for `kustomization` (a kustomize.toolkit.fluxcd.io Kustomization) from
 * `path`, a directory of the repository checkout.
 */
export async function fluxBuild(kustomization: KubeObject, path: string): Promise<KubeObject[]> {
  const dir = mkdtempSync(join(tmpdir(), "metallb-ts-flux-"));
  const file = join(dir, "kustomization.yaml");
  writeFileSync(file, stringify(kustomization));
  try {
    const out = await run(
      [
        fluxBin(),
        "build",
        "kustomization",
        kustomization.metadata.name,
        "--namespace",
        kustomization.metadata.namespace ?? "flux-system",
        "--path",
        path,
        "--kustomization-file",
        file,
        "--dry-run",
      ],
      { missingFix: "install the flux CLI" },
    );
    return parseManifests(out);
  } catch (err) {
    if (err instanceof CommandError && err.missingFix) throw new FluxMissingError();
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const NOT_COPIED = new Set([".git", "node_modules"]);

/**
 * A scratch copy of the repository for `flux build`, which rewrites the kustomization file of the
 * path it builds while it builds (and two builds of one path at once leave it rewritten): the
 * user's checkout must never be touched. One copy per caller that builds sequentially.
 */
export function fluxScratch(root: string): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "metallb-ts-flux-tree-"));
  cpSync(root, dir, { recursive: true, filter: (src) => !NOT_COPIED.has(basename(src)) });
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
