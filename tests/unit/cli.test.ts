// The CLI entry point runs as users run it (a child process through bin/).
import { spawnSync } from "node:child_process";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { KINDS } from "../../src/api/kinds/index.js";

const bin = join(import.meta.dirname, "../../bin/metallb-ts.js");
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

describe("metallb-ts CLI", () => {
  it("prints its version", { timeout: 60_000 }, () => {
    const r = cli("version");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^metallb-ts \d+\.\d+\.\d+\n$/);
  });

  it("prints every CRD", { timeout: 60_000 }, () => {
    const r = cli("crds");
    expect(r.status).toBe(0);
    const names = parseAllDocuments(r.stdout).map(
      (d) => (d.toJS() as { metadata: { name: string } }).metadata.name,
    );
    expect(names).toEqual(KINDS.map((k) => `${k.plural}.metallb.io`));
  });

  it("refuses an unknown command with usage and exit status 2", { timeout: 60_000 }, () => {
    const r = cli("frobnicate");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain("usage: metallb-ts");
  });

  it(
    "refuses a speaker heartbeat miss count below 2 with exit status 2",
    { timeout: 60_000 },
    () => {
      const r = cli("speaker", "--node-name", "n1", "--heartbeat-missed", "1");
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("--heartbeat-missed must be a whole number >= 2");
    },
  );

  it.each(["controller", "speaker"])(
    "%s --help prints the flags with their defaults and exits 0",
    { timeout: 60_000 },
    (command) => {
      const r = cli(command, "--help");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`usage: metallb-ts ${command} [flags]`);
      expect(r.stdout).toMatch(/--metrics-port N +.*\(default 747[24]\)/);
      expect(r.stderr).toBe("");
    },
  );

  it("delivers every CRD through a pipe that reads slowly", { timeout: 60_000 }, () => {
    // The reader sleeps before reading: the writer must not exit before its output drained.
    const out = execFileSync("sh", ["-c", `"${process.execPath}" "${bin}" crds | (sleep 1; cat)`], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(out.match(/^kind: CustomResourceDefinition$/gm)).toHaveLength(KINDS.length);
  });
});
