// The checkout's CLI as one esbuild bundle of src/bin.ts, the way the images run the runtime:
// `metallb-ts validate` then starts in about 0.3 s instead of 1.8 s under the TypeScript loader
// (bench/validate.script.ts). A bundle is made once per source (about 0.7 s, on the first run
// after an edit) and kept in node_modules/.cache/metallb-ts-cli/<key>/; concurrent makers race
// harmlessly. Plain JavaScript: it runs before any TypeScript can be loaded.
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
} from "node:fs";
import { join, relative } from "node:path";

export const REPO = join(import.meta.dirname, "..");
const KEEP = 3;

/** A key for the sources, the installed dependencies and this file's own build options. */
export function sourceKey(repo = REPO) {
  const hash = createHash("sha256");
  const files = readdirSync(join(repo, "src"), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.parentPath.includes(`${join("native", "build")}`))
    .map((e) => relative(repo, join(e.parentPath, e.name)))
    .sort();
  for (const f of [...files, "package-lock.json", "tsconfig.json", "bin/cli-bundle.js"])
    hash
      .update(f)
      .update("\0")
      .update(readFileSync(join(repo, f)));
  return hash.digest("hex").slice(0, 16);
}

/** The bundle's path, made first when the cache does not hold one for these sources. */
export async function cliBundle(repo = REPO) {
  const key = sourceKey(repo);
  const base = join(repo, "node_modules/.cache/metallb-ts-cli");
  const file = join(base, key, "metallb-ts.mjs");
  if (existsSync(file)) return file;
  const { build } = await import("esbuild");
  mkdirSync(base, { recursive: true });
  const work = mkdtempSync(join(base, `.${key}-`));
  try {
    await build({
      absWorkingDir: repo,
      entryPoints: ["src/bin.ts"],
      outfile: join(work, "metallb-ts.mjs"),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      legalComments: "none",
      logLevel: "silent",
      banner: {
        js: [
          'import { createRequire as __metallbTsCreateRequire } from "node:module";',
          "const require = __metallbTsCreateRequire(import.meta.url);",
        ].join("\n"),
      },
    });
    try {
      renameSync(work, join(base, key));
    } catch (err) {
      if (!existsSync(file)) throw err; // another maker got there first: the same bundle
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const d of readdirSync(base)
    .filter((d) => !d.startsWith(".") && d !== key)
    .map((d) => ({ d, t: statSync(join(base, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t)
    .slice(KEEP - 1))
    rmSync(join(base, d.d), { recursive: true, force: true });
  return file;
}
