// `metallb-ts validate` on the repository and on copies with one mistake each: the mistake is
// reported as `file:line:yaml.path: problem — fix` and the exit status is non-zero. Uses the real
// helm and kubectl (kustomize); the API server is not needed.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateTree } from "../../src/gitops/validate/tree-check.js";
import { ROOT } from "./chart-helpers.js";
import { cachedTool } from "../../src/sys/tools.js";

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
    expect(r.clusters).toEqual(["lab", "lab-bgp", "lab-l2"]);
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

  it("checks the Flux objects against Flux's schema, file by file as Flux builds them", async () => {
    const root = copyTree();
    edit(root, "flux-system/lab-bgp/metallb-ts.yaml", (t) =>
      t.replace("timeout: 3m", "timeout: 300"),
    );
    // What `flux bootstrap --path flux-system/lab-bgp` adds beside our file is checked too.
    mkdirSync(join(root, "flux-system/lab-bgp/flux-system"), { recursive: true });
    writeFileSync(
      join(root, "flux-system/lab-bgp/flux-system/kustomization.yaml"),
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [gotk-sync.yaml]\n",
    );
    writeFileSync(
      join(root, "flux-system/lab-bgp/flux-system/gotk-sync.yaml"),
      "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: flux-system, namespace: flux-system}\nspec: {interval: 1, url: https://git.example.com/x.git}\n",
    );
    const r = await validateTree(root);
    expect(r.lines).toContainEqual(
      expect.stringMatching(
        /^flux-system\/lab-bgp\/metallb-ts\.yaml:Kustomization\/metallb-ts\.spec\.timeout: 300 is not of type string/,
      ),
    );
    expect(r.lines).toContainEqual(
      expect.stringMatching(
        /^flux-system\/lab-bgp\/flux-system\/kustomization\.yaml:GitRepository\/flux-system\.spec\.interval: 1 is not of type string/,
      ),
    );
  });

  it("checks what Flux builds: a Kustomization's postBuild substitution that breaks an object", async () => {
    const root = copyTree();
    // Valid as written (the placeholder is a string); invalid once Flux substitutes it.
    writeFileSync(
      join(root, "policies/settings.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: metallb-system}\ndata:\n  replicas: ${REPLICAS}\n",
    );
    edit(root, "policies/kustomization.yaml", (t) =>
      t.replace("resources:\n", "resources:\n  - settings.yaml\n"),
    );
    edit(root, "flux-system/lab-l2/metallb-ts.yaml", (t) =>
      t.replace(
        "  path: ./policies\n",
        '  path: ./policies\n  postBuild:\n    substitute:\n      REPLICAS: "3"\n',
      ),
    );
    const before = readFileSync(join(root, "policies/kustomization.yaml"), "utf8");
    const r = await validateTree(root);
    // flux build rewrites the kustomization file it builds: validate gives it a scratch copy.
    expect(readFileSync(join(root, "policies/kustomization.yaml"), "utf8")).toBe(before);
    expect(r.lines).toContainEqual(
      expect.stringMatching(
        /^policies\/kustomization\.yaml:ConfigMap\/settings\.data\.replicas: 3 is not of type string/,
      ),
    );
    // Without the substitution the same tree is clean: the finding comes from Flux's build.
    edit(root, "flux-system/lab-l2/metallb-ts.yaml", (t) =>
      t.replace(/ {2}postBuild:\n.*\n.*\n/, ""),
    );
    const clean = await validateTree(root);
    expect(clean.lines.filter((l) => l.includes("ConfigMap/settings"))).toEqual([]);
  });

  it("without the flux CLI, builds with kustomize and warns that it did", () => {
    // A cache holding helm but no flux, and a PATH without flux.
    const cache = mkdtempSync(join(tmpdir(), "metallb-ts-noflux-"));
    temps.push(cache);
    mkdirSync(join(cache, "bin"));
    symlinkSync(cachedTool("helm"), join(cache, "bin/helm"));
    const r = spawnSync(process.execPath, [BIN, "validate", ROOT], {
      encoding: "utf8",
      env: { ...process.env, METALLB_TS_CACHE: cache, PATH: "/usr/local/bin:/usr/bin:/bin" },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^flux-system\/lab-l2:\(document\): warning: the flux CLI is not installed: .* — install the flux CLI/m,
    );
  });

  it("builds every path the cluster's Flux Kustomizations apply, and names one that is gone", async () => {
    const root = copyTree();
    writeFileSync(
      join(root, "policies/broken.yaml"),
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: 7}\n",
    );
    edit(root, "policies/kustomization.yaml", (t) =>
      t.replace("resources:\n", "resources:\n  - broken.yaml\n"),
    );
    edit(root, "flux-system/lab-l2/metallb-ts.yaml", (t) =>
      t.replace("path: ./policies", "path: ./policy"),
    );
    const r = await validateTree(root);
    expect(r.lines).toContainEqual(
      expect.stringMatching(/^policies\/kustomization\.yaml:Namespace\/7\.metadata\.name: /),
    );
    expect(r.lines).toContainEqual(
      "flux-system/lab-l2:Kustomization/metallb-ts-policies.spec.path: ./policy does not exist in the repository, so Flux cannot build it — run `npm run synth` to restore the generated Flux objects",
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

  it("a cluster clusters.yaml declares whose override file was renamed is an error", async () => {
    const root = copyTree();
    cpSync(join(ROOT, "clusters.yaml"), join(root, "clusters.yaml"));
    renameSync(join(root, L2, "override-values.yaml"), join(root, L2, "override-values.yml"));
    const r = await validateTree(root);
    expect(r.clusters).toEqual(["lab", "lab-bgp"]);
    expect(r.errors).toBe(1);
    expect(r.lines).toEqual([
      `clusters.yaml:12:clusters[0].name: cluster "lab-l2" has no ${L2}/override-values.yaml: its overlay does not build, so Flux stops applying it — restore the file (\`git log --diff-filter=DR -- ${L2}/override-values.yaml\` names the commit that removed or renamed it), or remove the cluster here and run \`npm run synth\``,
    ]);
  });

  it("--format json: one object with every problem's file, line, path, severity and fix", () => {
    const root = copyTree();
    edit(root, `${L2}/override-values.yaml`, (t) => t.replace("logLevel: info", "logLevel: loud"));
    const r = spawnSync(process.execPath, [BIN, "validate", "--format", "json", root], {
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      clusters: ["lab", "lab-bgp", "lab-l2"],
      errors: 1,
      warnings: 0,
      problems: [
        {
          file: `${L2}/override-values.yaml`,
          line: 6,
          path: "controller.logLevel",
          severity: "error",
          problem: '"loud" is not one of "debug", "info", "warn", "error"',
          fix: "use one of the allowed values",
        },
      ],
    });
    const good = spawnSync(process.execPath, [BIN, "validate", `--format=json`, ROOT], {
      encoding: "utf8",
    });
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ errors: 0, problems: [] });
    const xml = spawnSync(process.execPath, [BIN, "validate", "--format", "xml", ROOT], {
      encoding: "utf8",
    });
    expect(xml.status).toBe(2);
    expect(xml.stderr).toContain("--format xml is not text or json");
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
      /metallb-ts validate: 3 cluster\(s\) \(lab, lab-bgp, lab-l2\), 1 error\(s\), 0 warning\(s\)/,
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
