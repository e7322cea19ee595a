// `npm run generate` writes the generated files; `--check` only reports drift (exit 1).
import { mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GENERATED_DIRS, renderGenerated } from "./render.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");

function existing(): string[] {
  return GENERATED_DIRS.flatMap((dir) => {
    try {
      return readdirSync(join(root, dir)).map((f) => `${dir}/${f}`);
    } catch {
      return [];
    }
  });
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(join(root, path), "utf8");
  } catch {
    return "";
  }
}

const files = renderGenerated();
const stale = existing().filter((f) => !files.has(f));
const changed = [...files].filter(([path, content]) => readOrEmpty(path) !== content);

if (process.argv.includes("--check")) {
  for (const [path] of changed) console.error(`generated file out of date: ${path}`);
  for (const path of stale) console.error(`generated file no longer produced: ${path}`);
  if (changed.length || stale.length) {
    console.error("fix: run `npm run generate` and commit the result");
    process.exit(1);
  }
} else {
  for (const [path, content] of changed) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    console.log(`wrote ${path}`);
  }
  for (const path of stale) rmSync(join(root, path));
  console.log(`${files.size} generated files, ${changed.length} changed`);
}
