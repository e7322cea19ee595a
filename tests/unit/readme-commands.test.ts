// Every command the README and the docs show exists as written: each `./bin/metallb-ts.js <command>`
// answers `--help` with exit status 0, and each `npm run <script>` is a script of package.json. The
// commands that need no cluster and no tools (`crds`, `version`) run in full in cli.test.ts;
// `validate` runs on this repository in tests/gitops.
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const bin = join(root, "bin/metallb-ts.js");
const docs = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const text = docs.map((f) => readFileSync(join(root, f), "utf8")).join("\n");

const found = (re: RegExp): string[] =>
  [...new Set([...text.matchAll(re)].map((m) => m[1] ?? ""))].sort();
const subcommands = found(/\.\/bin\/metallb-ts(?:\.js)? ([a-z][a-z-]*)/g);
const scripts = found(/npm run ([a-z][a-z:-]*)/g);
const packageScripts = Object.keys(
  (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: object }).scripts,
);

describe("the commands the documentation shows", () => {
  it("names commands at all (the patterns still match how the docs write them)", () => {
    expect(subcommands).toEqual(expect.arrayContaining(["crds", "status", "validate"]));
    expect(scripts).toEqual(expect.arrayContaining(["check", "synth", "bench"]));
  });

  it("spells the CLI as it exists: ./bin/metallb-ts.js", () => {
    expect(text.match(/\.\/bin\/metallb-ts(?!\.js)\b/g) ?? []).toEqual([]);
  });

  it.each(subcommands)("./bin/metallb-ts.js %s --help exits 0", { timeout: 60_000 }, (command) => {
    const r = spawnSync(process.execPath, [bin, command, "--help"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("usage");
  });

  it.each(scripts)("npm run %s is a script of package.json", (script) => {
    expect(packageScripts).toContain(script);
  });
});
