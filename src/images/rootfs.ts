// A Debian base: mmdebstrap extracts only the packages the image needs (no dpkg, no apt), then the extraction is made to look installed to scanners, trimmed, and packed as a
// reproducible tar. Cached by recipe: the mirror is only contacted when the recipe changes or a
// refresh is asked for (then newer package versions, e.g. security updates, come in).
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { run } from "../sys/proc.js";
import { DEBIAN, NONROOT, type DebianBase } from "./config.js";
import {
  debPackage,
  infoStem,
  listFromContents,
  parseControl,
  statusFile,
  type DebPackage,
} from "./dpkg.js";
import { sha256File } from "./hash.js";
import { writeAtomically, type Log } from "./step.js";

/** mtime of every file in the base tar; the image layers get the commit's time instead. */
const ROOTFS_EPOCH = 1735689600; // 2025-01-01T00:00:00Z

export interface DebSummary {
  name: string;
  version: string;
  architecture: string;
  source: string;
  sourceVersion: string;
}

export interface Rootfs {
  tar: string;
  sha256: string;
  packages: DebSummary[];
}

export interface RootfsTools {
  mmdebstrap: string;
  dpkgDeb: string;
  tar: string;
}

/** Identifies a base by everything that shapes it except the mirror's current contents. */
export async function rootfsKey(tools: RootfsTools, base: DebianBase): Promise<string> {
  const version = (await run([tools.mmdebstrap, "--version"])).trim();
  const h = createHash("sha256").update(
    JSON.stringify({ DEBIAN, base, NONROOT, ROOTFS_EPOCH, version }),
  );
  for (const file of ["rootfs.ts", "dpkg.ts"]) {
    h.update(readFileSync(new URL(file, import.meta.url)));
  }
  return h.digest("hex").slice(0, 16);
}

export async function ensureRootfs(opts: {
  cacheDir: string;
  tools: RootfsTools;
  base: DebianBase;
  refresh: boolean;
  log: Log;
}): Promise<Rootfs> {
  const dir = join(opts.cacheDir, "rootfs");
  mkdirSync(dir, { recursive: true });
  const key = await rootfsKey(opts.tools, opts.base);
  const stem = join(dir, `${DEBIAN.suite}-${opts.base.name}-${key}`);
  const tar = `${stem}.tar`;
  const manifest = `${stem}.packages.json`;
  if (!opts.refresh && existsSync(tar) && existsSync(manifest)) {
    opts.log(`${opts.base.name} base rootfs cached (${tar})`);
    const packages = JSON.parse(readFileSync(manifest, "utf8")) as DebSummary[];
    return { tar, sha256: await sha256File(tar), packages };
  }
  const work = join(dir, `.work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    const root = join(work, "root");
    await run(
      [
        "env",
        `SOURCE_DATE_EPOCH=${ROOTFS_EPOCH}`,
        opts.tools.mmdebstrap,
        "--quiet",
        "--mode=root",
        "--variant=extract",
        `--include=${opts.base.packages.join(",")}`,
        // The downloaded .debs stay so that their metadata can be recorded below.
        "--skip=cleanup/apt/cache",
        "--format=directory",
        DEBIAN.suite,
        root,
        ...DEBIAN.mirrors,
      ],
      { timeoutMs: 15 * 60_000 },
    );
    const packages = await recordPackages(root, opts.tools, opts.base);
    finishRootfs(root, opts.base);
    await writeAtomically(tar, (tmp) =>
      run(
        [
          opts.tools.tar,
          "--create",
          `--file=${tmp}`,
          `--directory=${root}`,
          "--sort=name",
          "--format=posix",
          "--numeric-owner",
          `--mtime=@${ROOTFS_EPOCH}`,
          "--clamp-mtime",
          "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
          ".",
        ],
        { timeoutMs: 5 * 60_000 },
      ),
    );
    const summary = packages.map(({ name, version, architecture, source, sourceVersion }) => ({
      name,
      version,
      architecture,
      source,
      sourceVersion,
    }));
    writeFileSync(manifest, `${JSON.stringify(summary, null, 2)}\n`);
    return { tar, sha256: await sha256File(tar), packages: summary };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Writes dpkg's status and info files from the downloaded .debs, then removes the .debs; the
 * base's excluded packages have their files removed instead.
 */
async function recordPackages(
  root: string,
  tools: RootfsTools,
  base: DebianBase,
): Promise<DebPackage[]> {
  const archives = join(root, "var/cache/apt/archives");
  const debs = readdirSync(archives)
    .filter((f) => f.endsWith(".deb"))
    .sort();
  if (debs.length === 0) throw new Error(`mmdebstrap left no .deb files in ${archives}`);
  const info = join(root, "var/lib/dpkg/info");
  mkdirSync(info, { recursive: true });
  const packages: DebPackage[] = [];
  for (const deb of debs) {
    const path = join(archives, deb);
    const p = debPackage(parseControl(await run([tools.dpkgDeb, "--field", path])));
    const list = listFromContents(await run([tools.dpkgDeb, "--contents", path]));
    if (base.exclude?.includes(p.name)) {
      removeFiles(root, list);
      rmSync(path);
      continue;
    }
    packages.push(p);
    const stem = join(info, infoStem(p));
    writeFileSync(`${stem}.list`, list);
    const md5sums = await run([tools.dpkgDeb, "--info", path, "md5sums"]).catch(() => "");
    if (md5sums) writeFileSync(`${stem}.md5sums`, md5sums);
    rmSync(path);
  }
  const missing = (base.exclude ?? []).filter(
    (name) => !debs.some((d) => d.startsWith(`${name}_`)),
  );
  if (missing.length) {
    // A stale exclusion would hide that the dependency tree changed.
    throw new Error(
      `the ${base.name} base excludes packages apt did not fetch: ${missing.join(", ")}`,
    );
  }
  writeFileSync(join(root, "var/lib/dpkg/status"), statusFile(packages));
  return packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Removes a package's files and links (its directories stay: other packages share them). */
function removeFiles(root: string, list: string): void {
  for (const path of list.split("\n")) {
    if (path === "" || path === "/.") continue;
    const target = join(root, path);
    let stat;
    try {
      stat = lstatSync(target);
    } catch {
      continue;
    }
    if (!stat.isDirectory()) rmSync(target);
  }
}

/** Trims, removes host-specific and runtime-provided files, adds the users. */
function finishRootfs(root: string, base: DebianBase): void {
  for (const path of DEBIAN.trim) rmSync(join(root, path), { recursive: true, force: true });
  // Documentation: only the copyright files stay (licence obligations).
  const doc = join(root, "usr/share/doc");
  for (const pkg of readdirSync(doc)) {
    const dir = join(doc, pkg);
    if (!lstatSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir)) {
      if (f !== "copyright") rmSync(join(dir, f), { recursive: true, force: true });
    }
  }
  // mmdebstrap copies the build host's resolver and name; the container runtime mounts its own,
  // as it provides /dev (device nodes in a layer also break rootless builds).
  for (const path of ["etc/resolv.conf", "etc/hostname"]) rmSync(join(root, path), { force: true });
  for (const entry of readdirSync(join(root, "dev"))) {
    rmSync(join(root, "dev", entry), { recursive: true, force: true });
  }
  // apt was only the download tool: its configuration and caches (pkgcache.bin differs on
  // every run) do not belong in an image without apt.
  for (const path of ["etc/apt", "var/cache/apt", "var/lib/apt", "var/log/apt"]) {
    rmSync(join(root, path), { recursive: true, force: true });
  }
  writeFileSync(
    join(root, "etc/passwd"),
    `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`,
  );
  writeFileSync(
    join(root, "etc/group"),
    [`root:x:0:`, `nonroot:x:${NONROOT}:`, ...(base.groups ?? [])].map((l) => `${l}\n`).join(""),
  );
  const home = join(root, "home/nonroot");
  mkdirSync(home, { recursive: true });
  chmodSync(home, 0o700);
  chownSync(home, NONROOT, NONROOT);
  chmodSync(join(root, "tmp"), 0o1777);
}
