// The application as one ESM file (esbuild), and the npm packages whose code ended up in it.
import { build } from "esbuild";
import { readFileSync, readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { APP_DIR, BUNDLE_FILE } from "./config.js";
import { sha256File } from "./hash.js";

export interface NpmPackage {
  name: string;
  version: string;
  /** SPDX expression from package.json, or NOASSERTION when it declares none. */
  license: string;
}

/**
 * The package directories (`node_modules/a`, `node_modules/@s/b`, nested ones too) that bundle
 * inputs come from, sorted and without duplicates.
 */
export function packageDirs(inputs: string[]): string[] {
  const dirs = new Set<string>();
  for (const input of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m?.[1]) dirs.add(m[1]);
  }
  return [...dirs].sort();
}

/** Name, version and licence from a package.json (including the legacy licence shapes). */
export function npmPackage(manifest: unknown, where: string): NpmPackage {
  const m = manifest as {
    name?: unknown;
    version?: unknown;
    license?: unknown;
    licenses?: unknown;
  };
  if (typeof m.name !== "string" || typeof m.version !== "string") {
    throw new Error(`${where} has no name or version`);
  }
  const typeOf = (l: unknown): string | undefined =>
    typeof l === "string" ? l : (l as { type?: unknown } | null)?.type?.toString();
  let license = typeOf(m.license);
  if (!license && Array.isArray(m.licenses)) {
    const all = m.licenses.map(typeOf).filter((t): t is string => !!t);
    if (all.length) license = all.length === 1 ? all[0] : `(${all.join(" OR ")})`;
  }
  return { name: m.name, version: m.version, license: license ?? "NOASSERTION" };
}

export interface Bundle {
  file: string;
  sha256: string;
  packages: NpmPackage[];
  /** The licence texts of the bundled packages, which their licences ask copies to carry. */
  licenses: string;
}

const LICENSE_FILE = /^(licen[cs]e|copying)(\.(md|txt))?$/i;

function licenseText(dir: string, p: NpmPackage): string {
  const file = readdirSync(dir).find((f) => LICENSE_FILE.test(f));
  const text = file
    ? readFileSync(join(dir, file), "utf8").trim()
    : `(no licence file in the package; package.json declares ${p.license})`;
  return `${p.name}@${p.version}\n${"-".repeat(72)}\n${text}\n`;
}

/**
 * Bundles src/runtime/bin.ts into `<root>/opt/metallb-ts/metallb-ts.mjs`. The shebang makes the
 * bundle the `metallb-ts` executable; `require` is provided for the CommonJS dependencies.
 */
export async function bundleApp(repo: string, root: string): Promise<Bundle> {
  const dir = join(root, APP_DIR);
  await mkdir(dir, { recursive: true });
  const file = join(dir, BUNDLE_FILE);
  const result = await build({
    absWorkingDir: repo,
    entryPoints: ["src/runtime/bin.ts"],
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    metafile: true,
    legalComments: "none",
    logLevel: "silent",
    banner: {
      js: [
        "#!/usr/local/bin/node",
        'import { createRequire as __metallbTsCreateRequire } from "node:module";',
        "const require = __metallbTsCreateRequire(import.meta.url);",
      ].join("\n"),
    },
  });
  const found = new Map<string, [NpmPackage, string]>();
  for (const d of packageDirs(Object.keys(result.metafile.inputs))) {
    const path = join(repo, d, "package.json");
    const p = npmPackage(JSON.parse(readFileSync(path, "utf8")), path);
    found.set(`${p.name}@${p.version}`, [p, join(repo, d)]);
  }
  const sorted = [...found.keys()].sort().map((k) => found.get(k)!);
  return {
    file,
    sha256: await sha256File(file),
    packages: sorted.map(([p]) => p),
    licenses: sorted.map(([p, dir]) => licenseText(dir, p)).join("\n"),
  };
}
