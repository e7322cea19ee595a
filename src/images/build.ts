// `npm run images`: gathers the inputs (the Debian bases, Node.js, the bundled application, the
// native addon for the speaker, the FRR agent), stages the build context with an SBOM per image,
// builds the controller, speaker and FRR images with buildah and writes them as OCI archives
// with images.json beside them. Nothing is rebuilt when the inputs' hash matches the last build
// and its archives are intact.
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { cacheDir, systemTool } from "../sys/tools.js";
import { Buildah } from "./buildah.js";
import { bundleApp, type Bundle } from "./bundle.js";
import { DEBIAN, FRR_IMAGE, IMAGES, NODE, NODE_BASE, type DebianBase } from "./config.js";
import { frrAgentFiles, stageContext } from "./context.js";
import { sha256, sha256File } from "./hash.js";
import { nativeAddons } from "./native.js";
import { ensureNode, type NodeTarball } from "./node-runtime.js";
import { inspectArchive } from "./oci-archive.js";
import { ensureRootfs, type Rootfs } from "./rootfs.js";
import { spdxSbom } from "./sbom.js";
import { isoTime, ociLabels, readSourceInfo, type SourceInfo } from "./source-info.js";
import { step, writeAtomically, writeFileAtomically, type Log } from "./step.js";

export interface ImageRecord {
  name: string;
  tag: string;
  /** name:tag, as the chart's defaults reference it. */
  reference: string;
  digest: string;
  /** Paths relative to the repository root. */
  archive: string;
  archiveSha256: string;
  sbom: string;
  compressedSize: number;
  uncompressedSize: number;
  layers: number;
  /** Native addon files shipped beside the bundle (speaker only, when the addon exists). */
  nativeAddons: string[];
}

export interface ImagesManifest {
  inputHash: string;
  version: string;
  revision: string;
  created: string;
  sourceDateEpoch: number;
  node: string;
  debian: string;
  images: ImageRecord[];
}

export interface BuildOptions {
  repo: string;
  log: Log;
  /** Rebuild even when the inputs are unchanged. */
  force?: boolean;
  /** Bootstrap the Debian base again (newer packages) instead of using the cached one. */
  refreshBase?: boolean;
  /** Stage dist/images/context for docker build / podman build and stop. */
  stageOnly?: boolean;
  /** Where to look for buildah, mmdebstrap, dpkg-deb and tar (default: the system's). */
  toolDirs?: string[];
}

export const imagesDir = (repo: string): string => join(repo, "dist/images");
export const imagesCacheDir = (): string => join(cacheDir(), "images");

/**
 * buildah for this checkout: storage of its own (worktrees build concurrently, and a build
 * prunes what it leaves), under the cache rather than /var/lib/containers.
 */
export const buildahFor = (bin: string, repo: string): Buildah =>
  new Buildah(bin, join(imagesCacheDir(), "containers", sha256(repo).slice(0, 12)));

const PROVISION_FIX =
  "run `npm run provision` (tools/provision.sh installs buildah, mmdebstrap and skopeo from Debian)";

interface Inputs {
  tools: { buildah: string; mmdebstrap: string; dpkgDeb: string; tar: string };
  src: SourceInfo;
  rootfs: Rootfs;
  frrRootfs: Rootfs;
  node: NodeTarball;
  addons: string[];
  bundle: Bundle;
  inputHash: string;
}

/** Hash of the build's own code and Containerfiles: a change to the recipe rebuilds. */
function recipeHash(repo: string): string {
  const files = [
    ...readdirSync(import.meta.dirname)
      .filter((f) => f.endsWith(".ts"))
      .sort()
      .map((f) => join(import.meta.dirname, f)),
    ...IMAGES.map((i) => join(repo, i.containerfile)),
    join(repo, FRR_IMAGE.containerfile),
    ...frrAgentFiles(repo),
  ];
  return sha256(files.map((f) => `${basename(f)}\0${sha256(readFileSync(f))}`).join("\n"));
}

async function gatherInputs(opts: BuildOptions, bundleDir: string): Promise<Inputs> {
  const { repo, log } = opts;
  const cache = imagesCacheDir();
  const tools = await step(log, "check build tools", PROVISION_FIX, () => ({
    buildah: systemTool("buildah", opts.toolDirs),
    mmdebstrap: systemTool("mmdebstrap", opts.toolDirs),
    dpkgDeb: systemTool("dpkg-deb", opts.toolDirs),
    tar: systemTool("tar", opts.toolDirs),
  }));
  const src = await step(
    log,
    "read the source revision",
    "run from the git checkout; SOURCE_DATE_EPOCH, when set, must be whole seconds",
    () => readSourceInfo(repo),
  );
  if (!src.source) {
    log(
      "no repository URL known: the images get no org.opencontainers.image.source label; " +
        'set "repository" in package.json or METALLB_TS_SOURCE_URL',
    );
  }
  const bootstrap = (base: DebianBase): Promise<Rootfs> =>
    step(
      log,
      `bootstrap the Debian ${DEBIAN.suite} ${base.name} base (mmdebstrap)`,
      "check that deb.debian.org is reachable; `npm run images -- --refresh-base` bootstraps afresh",
      () => ensureRootfs({ cacheDir: cache, tools, base, refresh: opts.refreshBase ?? false, log }),
    );
  const rootfs = await bootstrap(NODE_BASE);
  const frrRootfs = await bootstrap(FRR_IMAGE.base);
  const node = await step(
    log,
    `fetch Node.js ${NODE.version} (npm pack ${NODE.npmPackage})`,
    "check that the npm registry is reachable; on an integrity mismatch verify the release " +
      "and update NODE in src/images/config.ts",
    () => ensureNode({ cacheDir: cache, log }),
  );
  const addons = await step(
    log,
    "find the native addon",
    "run `npm run build:native` (needs gcc, make, python3 and the Node headers) and read its output",
    () => nativeAddons(repo),
  );
  if (addons.length === 0) log("native addon sources absent: the speaker image ships without it");
  const bundle = await step(
    log,
    "bundle the application (esbuild)",
    "fix what esbuild reports (`npm run check` shows the same errors)",
    () => bundleApp(repo, bundleDir),
  );
  const inputHash = sha256(
    JSON.stringify({
      recipe: recipeHash(repo),
      rootfs: rootfs.sha256,
      frrRootfs: frrRootfs.sha256,
      node: node.integrity,
      bundle: bundle.sha256,
      addons: await Promise.all(addons.map(async (a) => [basename(a), await sha256File(a)])),
      src,
    }),
  );
  return { tools, src, rootfs, frrRootfs, node, addons, bundle, inputHash };
}

/** The previous build's record when its inputs match and every archive is still intact. */
async function reusable(
  out: string,
  repo: string,
  inputHash: string,
): Promise<ImagesManifest | undefined> {
  const path = join(out, "images.json");
  if (!existsSync(path)) return undefined;
  const previous = JSON.parse(readFileSync(path, "utf8")) as ImagesManifest;
  if (previous.inputHash !== inputHash) return undefined;
  for (const image of previous.images) {
    const archive = join(repo, image.archive);
    if (!existsSync(archive) || (await sha256File(archive)) !== image.archiveSha256) {
      return undefined;
    }
  }
  return previous;
}

/** Builds one image and writes its archive (only under its final name once complete). */
async function buildImage(
  opts: BuildOptions,
  inputs: Inputs,
  spec: { name: string; containerfile: string },
  addons: string[],
  context: string,
  sbom: object,
): Promise<ImageRecord> {
  const { repo, log } = opts;
  const out = imagesDir(repo);
  const buildah = buildahFor(inputs.tools.buildah, repo);
  const tag = inputs.src.version;
  const reference = `${spec.name}:${tag}`;
  const id = await step(
    log,
    `build ${reference} (buildah build)`,
    `read buildah's error above; the context is in ${relative(repo, context)}`,
    () =>
      buildah.build({
        containerfile: join(repo, spec.containerfile),
        context,
        tag: reference,
        epoch: inputs.src.epoch,
        labels: ociLabels(inputs.src, spec.name),
      }),
  );
  const archive = join(out, `${spec.name}-${tag}.oci.tar`);
  const info = await step(
    log,
    `write ${relative(repo, archive)} (buildah push oci-archive)`,
    `check free space under ${out}; no partial archive was left`,
    async () => {
      try {
        return await writeAtomically(archive, async (tmp) => {
          await buildah.pushArchive(id, tmp, reference);
          return inspectArchive(tmp, inputs.tools.tar);
        });
      } finally {
        await buildah.rmi(id);
        const kept = await buildah.prune();
        if (kept) log(`some unused images stay in buildah's storage: ${kept.split("\n").pop()}`);
      }
    },
  );
  const sbomPath = join(out, `${spec.name}-${tag}.spdx.json`);
  await writeFileAtomically(sbomPath, `${JSON.stringify(sbom, null, 2)}\n`);
  return {
    name: spec.name,
    tag,
    reference,
    digest: info.digest,
    archive: relative(repo, archive),
    archiveSha256: await sha256File(archive),
    sbom: relative(repo, sbomPath),
    compressedSize: info.compressedSize,
    uncompressedSize: info.uncompressedSize,
    layers: info.layers,
    nativeAddons: addons.map((a) => basename(a)),
  };
}

export async function buildImages(opts: BuildOptions): Promise<ImagesManifest> {
  const { repo, log } = opts;
  const out = imagesDir(repo);
  const bundleDir = join(out, ".bundle");
  try {
    const inputs = await gatherInputs(opts, bundleDir);
    const { src, inputHash } = inputs;
    const manifest: ImagesManifest = {
      inputHash,
      version: src.version,
      revision: src.revision,
      created: isoTime(src.epoch),
      sourceDateEpoch: src.epoch,
      node: inputs.node.version,
      debian: DEBIAN.suite,
      images: [],
    };
    if (!opts.force && !opts.stageOnly) {
      const previous = await reusable(out, repo, inputHash);
      if (previous) {
        log(`images up to date (inputs ${inputHash.slice(0, 12)}); --force rebuilds`);
        return previous;
      }
    }
    const trees = IMAGES.map((spec) => {
      const addons = spec.native ? inputs.addons : [];
      const sbom = spdxSbom({
        image: spec.name,
        tag: src.version,
        created: manifest.created,
        app: {
          name: "metallb-ts",
          version: src.version,
          license: src.license,
          revision: src.revision,
        },
        node: { version: inputs.node.version, npmPackage: NODE.npmPackage },
        debian: inputs.rootfs.packages,
        npm: inputs.bundle.packages,
        native: addons.map((a) => basename(a)),
      });
      return { spec, addons, sbom };
    });
    const frrSbom = spdxSbom({
      image: FRR_IMAGE.name,
      tag: src.version,
      created: manifest.created,
      app: {
        name: "metallb-ts-frr-agent",
        version: src.version,
        license: src.license,
        revision: src.revision,
        comment: `the FRR agent and entrypoint (${FRR_IMAGE.agentSources}), run by Debian's python3`,
      },
      debian: inputs.frrRootfs.packages,
      npm: [],
      native: [],
    });
    const context = join(out, "context");
    await step(log, "stage the build context", `check free space under ${out}`, () =>
      stageContext({
        context,
        rootfsTar: inputs.rootfs.tar,
        node: inputs.node,
        tar: inputs.tools.tar,
        bundle: inputs.bundle,
        trees,
        frr: { rootfsTar: inputs.frrRootfs.tar, agentFiles: frrAgentFiles(repo), sbom: frrSbom },
      }),
    );
    if (opts.stageOnly) {
      log(`build context staged in ${relative(repo, context)} (see docs/images.md)`);
      return manifest;
    }
    // A rebuild invalidates the old record first: a failure below leaves no images.json behind
    // that describes archives of other inputs.
    rmSync(join(out, "images.json"), { force: true });
    for (const tree of trees) {
      manifest.images.push(
        await buildImage(opts, inputs, tree.spec, tree.addons, context, tree.sbom),
      );
    }
    manifest.images.push(await buildImage(opts, inputs, FRR_IMAGE, [], context, frrSbom));
    await writeFileAtomically(join(out, "images.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
  }
}
