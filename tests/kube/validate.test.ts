// `metallb-ts validate` on the repository and on copies with one mistake each: the mistake is
// reported as `file:line:yaml.path: problem — fix` and the exit status is non-zero. Uses the real
// helm and kubectl (kustomize); the API server is not needed.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateTree } from "../../src/gitops/validate/tree-check.js";
import { ROOT } from "./chart-helpers.js";

const BIN = join(ROOT, "bin/metallb-ts.js");
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function copyTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "metallb-ts-validate-"));
  temps.push(dir);
  for (const d of ["charts", "base", "overlays", "flux-system", "policies", "helm-values"])
    cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  return dir;
}

function edit(root: string, path: string, change: (text: string) => string): void {
  writeFileSync(join(root, path), change(readFileSync(join(root, path), "utf8")));
}

const L2 = "overlays/lab-l2/services/metallb";

describe("metallb-ts validate", () => {
  it("passes the repository's example clusters", async () => {
    const r = await validateTree(ROOT);
    expect(r.clusters).toEqual(["lab-bgp", "lab-l2"]);
    expect(r.lines).toEqual([]);
  });

  it("reports an override mistake with file, line, path and fix", async () => {
    const root = copyTree();
    edit(root, `${L2}/override-values.yaml`, (t) =>
      t.replace("203.0.113.64/28", "203.0.113.40/29"),
    );
    const r = await validateTree(root);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.lines).toContainEqual(
      `${L2}/override-values.yaml:12:config.ipAddressPools[0].spec.addresses[0]: 203.0.113.10-203.0.113.49 overlaps 203.0.113.40-203.0.113.47 of IPAddressPool lab-reserved — make the address ranges disjoint: an address can be handed out by one pool only`,
    );
  });

  it("reports an overlay whose kustomization no longer generates the override Secret", async () => {
    const root = copyTree();
    edit(root, `${L2}/kustomization.yaml`, (t) =>
      t.replace(/secretGenerator:[\s\S]*/, "resources: []\n"),
    );
    const r = await validateTree(root);
    expect(r.lines.join("\n")).toMatch(
      /overlays\/lab-l2\/services\/metallb\/kustomization\.yaml:\(document\): builds no Secret metallb-ts-override-values.* — run `npm run synth`/,
    );
  });

  it("checks the Flux objects against Flux's schema", async () => {
    const root = copyTree();
    edit(root, "flux-system/lab-bgp/kustomizations.yaml", (t) =>
      t.replace("timeout: 5m", "timeout: 300"),
    );
    const r = await validateTree(root);
    expect(r.lines).toContainEqual(
      expect.stringMatching(
        /^flux-system\/lab-bgp\/kustomization\.yaml:Kustomization\/metallb-ts-base\.spec\.timeout: must be string/,
      ),
    );
  });

  it("reports a base whose hardening was weakened by hand", async () => {
    const root = copyTree();
    edit(root, "base/services/metallb/helm-values/hardened-values.yaml", (t) =>
      t.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"),
    );
    const r = await validateTree(root);
    expect(r.lines.join("\n")).toMatch(
      /base\/services\/metallb\/helm-values\/hardened-values\.yaml:\d+:controller\.securityContext\.readOnlyRootFilesystem: false is refused/,
    );
  });

  it("checks only the overlay it is pointed at", async () => {
    const r = await validateTree(join(ROOT, L2));
    expect(r.clusters).toEqual(["lab-l2"]);
    expect(r.errors).toBe(0);
  });

  it("as a command: prints the lines and exits non-zero on errors, 2 on a bad path", () => {
    const root = copyTree();
    edit(root, `${L2}/override-values.yaml`, (t) => t.replace("logLevel: info", "logLevel: loud"));
    const bad = spawnSync(process.execPath, [BIN, "validate", root], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(
      `${L2}/override-values.yaml:6:controller.logLevel: "loud" is not one of "debug", "info", "warn", "error" — use one of the allowed values`,
    );
    expect(bad.stdout).toMatch(
      /metallb-ts validate: 2 cluster\(s\) \(lab-bgp, lab-l2\), 1 error\(s\), 0 warning\(s\)/,
    );
    const missing = spawnSync(process.execPath, [BIN, "validate", join(root, "nowhere")], {
      encoding: "utf8",
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(
      /does not exist — give the repository root or an overlay directory/,
    );
  });
});
