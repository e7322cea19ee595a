// The build context the Containerfiles expect (dist/images/context): rootfs.tar, node/, one
// application tree per Node.js image, and frr-rootfs.tar with frr/ for the FRR image. buildah
// builds from it; docker and podman can too.
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import type { Bundle } from "./bundle.js";
import { APP_DIR, BUNDLE_FILE, FRR_IMAGE, type ImageSpec } from "./config.js";
import { NATIVE_BUILD } from "./native.js";
import { stageNode, type NodeTarball } from "./node-runtime.js";

/** Directories 0755, files 0755 when executable else 0644: the context does not carry umasks. */
export function normalizeModes(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) normalizeModes(path);
    else if (entry.isFile()) chmodSync(path, statSync(path).mode & 0o111 ? 0o755 : 0o644);
  }
}

export interface AppTree {
  spec: ImageSpec;
  /** Native addon files (*.node) to place in build/Release beside the bundle. */
  addons: string[];
  sbom: object;
}

/**
 * One image's application: the bundle at /opt/metallb-ts (executable through its shebang, linked
 * as /usr/local/bin/metallb-ts), the addon in build/Release beside it — where the addon's loader
 * resolves it relative to the code that loads it — the SBOM and the bundled packages' licences.
 */
function stageApp(root: string, bundle: Bundle, tree: AppTree): void {
  const app = join(root, APP_DIR);
  mkdirSync(app, { recursive: true });
  copyFileSync(bundle.file, join(app, BUNDLE_FILE));
  chmodSync(join(app, BUNDLE_FILE), 0o755);
  if (tree.addons.length) {
    const release = join(app, NATIVE_BUILD);
    mkdirSync(release, { recursive: true });
    for (const a of tree.addons) copyFileSync(a, join(release, basename(a)));
  }
  mkdirSync(join(root, "usr/local/bin"), { recursive: true });
  symlinkSync(`../../../${APP_DIR}/${BUNDLE_FILE}`, join(root, "usr/local/bin/metallb-ts"));
  const doc = join(root, "usr/share/doc/metallb-ts");
  mkdirSync(doc, { recursive: true });
  writeFileSync(join(doc, "sbom.spdx.json"), `${JSON.stringify(tree.sbom, null, 2)}\n`);
  writeFileSync(join(doc, "third-party-licenses.txt"), bundle.licenses);
  normalizeModes(root);
}

/** The FRR agent's files (start.sh, agent.py), as the image and the chart's ConfigMap ship them. */
export function frrAgentFiles(repo: string): string[] {
  const dir = join(repo, FRR_IMAGE.agentSources);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sh") || f.endsWith(".py"))
    .sort()
    .map((f) => join(dir, f));
}

/** The FRR image's own files: the agent where the chart also mounts it, and the SBOM. */
function stageFrr(root: string, agentFiles: string[], sbom: object): void {
  const agent = join(root, FRR_IMAGE.agentDir);
  mkdirSync(agent, { recursive: true });
  for (const f of agentFiles) copyFileSync(f, join(agent, basename(f)));
  const doc = join(root, "usr/share/doc/metallb-ts");
  mkdirSync(doc, { recursive: true });
  writeFileSync(join(doc, "sbom.spdx.json"), `${JSON.stringify(sbom, null, 2)}\n`);
  normalizeModes(root);
}

/** Replaces `context` with a fresh one. */
export async function stageContext(opts: {
  context: string;
  rootfsTar: string;
  node: NodeTarball;
  tar: string;
  bundle: Bundle;
  trees: AppTree[];
  frr: { rootfsTar: string; agentFiles: string[]; sbom: object };
}): Promise<void> {
  const { context } = opts;
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  copyFileSync(opts.rootfsTar, join(context, "rootfs.tar"));
  chmodSync(join(context, "rootfs.tar"), 0o644);
  await stageNode(opts.node, join(context, "node"), opts.tar);
  normalizeModes(join(context, "node"));
  for (const tree of opts.trees) stageApp(join(context, tree.spec.component), opts.bundle, tree);
  copyFileSync(opts.frr.rootfsTar, join(context, "frr-rootfs.tar"));
  chmodSync(join(context, "frr-rootfs.tar"), 0o644);
  stageFrr(join(context, "frr"), opts.frr.agentFiles, opts.frr.sbom);
}
