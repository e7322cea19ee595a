// The cdk8s synth of the GitOps tree: the committed tree is exactly a fresh synth, reruns change
// nothing, user files survive, and what matters in the output holds (ordering, watch labels,
// HelmRelease policy, Flux schemas).
import {
  cpSync,
  existsSync,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseClusters, type ClustersFile } from "../../src/gitops/synth/clusters.js";
import { synth } from "../../src/gitops/synth/main.js";
import type { KubeObject } from "../../src/gitops/tools/helm.js";
import { renderTree } from "../../src/gitops/synth/tree.js";
import { objectProblems } from "../../src/gitops/validate/objects.js";

const ROOT = join(import.meta.dirname, "../..");
const DECL: ClustersFile = {
  repository: { url: "https://git.example.com/platform/metallb-ts.git", branch: "main" },
  chart: { source: "git" },
  clusters: [{ name: "lab-l2" }, { name: "lab-bgp" }],
};
const tree = renderTree(DECL, "0.1.0");
const objectsOf = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
const owned = (path: string) => {
  const text = tree.owned.get(path);
  if (text === undefined) throw new Error(`synth does not write ${path}`);
  return text;
};

const temps: string[] = [];
function tempRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), "metallb-ts-synth-"));
  temps.push(dir);
  writeFileSync(join(dir, "clusters.yaml"), readFileSync(join(ROOT, "clusters.yaml")));
  return dir;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("synth", () => {
  it("the committed tree is what a fresh synth writes (fix: npm run synth)", () => {
    expect(synth(ROOT, join(ROOT, "clusters.yaml"), true).drift).toEqual([]);
  });

  it("is idempotent: a second run writes nothing", () => {
    const root = tempRoot();
    const first = synth(root, join(root, "clusters.yaml"), false);
    expect(first.written.length).toBeGreaterThan(10);
    expect(first.created.sort()).toEqual([
      "overlays/lab-bgp/services/metallb/override-values.yaml",
      "overlays/lab-l2/services/metallb/override-values.yaml",
      "overlays/lab/services/metallb/override-values.yaml",
    ]);
    expect(synth(root, join(root, "clusters.yaml"), false)).toEqual({
      written: [],
      created: [],
      removed: [],
      drift: [],
    });
  });

  it("never overwrites override-values.yaml nor touches files it did not write", () => {
    const root = tempRoot();
    const overlay = join(root, "overlays/lab-l2/services/metallb");
    mkdirSync(overlay, { recursive: true });
    writeFileSync(join(overlay, "override-values.yaml"), "controller:\n  logLevel: debug\n");
    writeFileSync(join(overlay, "NOTES.md"), "mine\n");
    synth(root, join(root, "clusters.yaml"), false);
    expect(readFileSync(join(overlay, "override-values.yaml"), "utf8")).toBe(
      "controller:\n  logLevel: debug\n",
    );
    expect(readFileSync(join(overlay, "NOTES.md"), "utf8")).toBe("mine\n");
  });

  it("removes its own files of a cluster no longer declared, keeping the override", () => {
    const root = tempRoot();
    synth(root, join(root, "clusters.yaml"), false);
    writeFileSync(
      join(root, "clusters.yaml"),
      readFileSync(join(root, "clusters.yaml"), "utf8").replace(/ {2}- name: lab-bgp\n.*\n/, ""),
    );
    const r = synth(root, join(root, "clusters.yaml"), false);
    expect(r.removed.sort()).toEqual([
      "flux-system/lab-bgp/metallb-ts.yaml",
      "overlays/lab-bgp/services/metallb/kustomization.yaml",
      "overlays/lab-bgp/services/metallb/kustomizeconfig.yaml",
    ]);
    expect(existsSync(join(root, "overlays/lab-bgp/services/metallb/override-values.yaml"))).toBe(
      true,
    );
  });

  it("check mode reports drift without writing", () => {
    const root = tempRoot();
    cpSync(join(ROOT, "base"), join(root, "base"), { recursive: true });
    writeFileSync(join(root, "base/services/metallb/helmrelease.yaml"), "# hand-edited\n");
    const r = synth(root, join(root, "clusters.yaml"), true);
    expect(r.drift).toContain("base/services/metallb/helmrelease.yaml");
    expect(readFileSync(join(root, "base/services/metallb/helmrelease.yaml"), "utf8")).toBe(
      "# hand-edited\n",
    );
  });
});

describe("the synthesized tree", () => {
  it("matches the snapshot", () => {
    expect(Object.fromEntries(tree.owned)).toMatchSnapshot();
  });

  it("applies each cluster's release in one waiting Kustomization, then its policies", () => {
    for (const cluster of ["lab-l2", "lab-bgp"]) {
      const objects = objectsOf(owned(`flux-system/${cluster}/metallb-ts.yaml`));
      const ks = objects.filter((o) => o.kind === "Kustomization");
      const spec = (name: string) =>
        ks.find((k) => k.metadata.name === name)?.spec as {
          dependsOn?: { name: string }[];
          path: string;
          timeout: string;
        };
      expect(ks.map((k) => k.metadata.name)).toEqual(["metallb-ts", "metallb-ts-policies"]);
      expect(spec("metallb-ts").dependsOn).toBeUndefined();
      expect(spec("metallb-ts").path).toBe(`./overlays/${cluster}/services/metallb`);
      expect(spec("metallb-ts-policies").dependsOn).toEqual([{ name: "metallb-ts" }]);
      for (const k of ks) expect(k.spec).toMatchObject({ wait: true, prune: true });
      // A revert queues behind the release's health wait: that wait is kept short.
      expect(spec("metallb-ts")).toMatchObject({ timeout: "3m" });
      // One source for the tree and the chart, and a Receiver for push-triggered reconciles.
      expect(objects.filter((o) => o.kind === "GitRepository")).toHaveLength(1);
      expect(objects.find((o) => o.kind === "Receiver")?.spec).toMatchObject({
        resources: [{ kind: "GitRepository", name: "metallb-ts-gitops" }],
        secretRef: { name: "metallb-ts-webhook-token" },
      });
    }
  });

  it("writes no kustomization.yaml under flux-system/<cluster>, so bootstrap files sit beside ours", () => {
    for (const path of tree.owned.keys()) expect(path).not.toMatch(/^flux-system\/.*kustomization/);
    for (const path of tree.once.keys()) expect(path).not.toMatch(/^flux-system\//);
  });

  it("the overlay builds the base with both values Secrets named by content hash", async () => {
    const { kustomizeBuild } = await import("../../src/gitops/tools/kustomize.js");
    const built = await kustomizeBuild(join(ROOT, "overlays/lab-l2/services/metallb"));
    const secrets = built.filter((o) => o.kind === "Secret").map((o) => o.metadata.name);
    expect(secrets).toEqual([
      expect.stringMatching(/^metallb-ts-hardened-values-[a-z0-9]{10}$/),
      expect.stringMatching(/^metallb-ts-override-values-[a-z0-9]{10}$/),
    ]);
    const hr = built.find((o) => o.kind === "HelmRelease")!;
    // The HelmRelease names exactly those Secrets, required: a values change is a new generation.
    expect((hr.spec as { valuesFrom: unknown[] }).valuesFrom).toEqual(
      secrets.map((name) => ({ kind: "Secret", name, valuesKey: "values.yaml" })),
    );
  });

  it("gives the HelmRelease remediation, drift detection, CRD replacement and the chart of the same source", () => {
    const [hr] = objectsOf(owned("base/services/metallb/helmrelease.yaml"));
    expect(hr?.spec).toMatchObject({
      install: { crds: "CreateReplace", remediation: { retries: 3 } },
      upgrade: { crds: "CreateReplace", remediation: { retries: 3, remediateLastFailure: true } },
      driftDetection: { mode: "enabled" },
      chart: {
        spec: {
          chart: "./charts/metallb-ts",
          reconcileStrategy: "ChartVersion",
          sourceRef: { kind: "GitRepository", name: "metallb-ts-gitops", namespace: "flux-system" },
        },
      },
    });
  });

  it("sources the chart from an OCIRepository through chartRef when clusters.yaml says so", () => {
    const oci = renderTree(
      {
        ...DECL,
        chart: { source: "oci", url: "oci://registry.example.com/charts", version: "0.1.x" },
      },
      "0.1.0",
    );
    const [repo] = objectsOf(oci.owned.get("base/services/metallb/source.yaml") ?? "");
    const [hr] = objectsOf(oci.owned.get("base/services/metallb/helmrelease.yaml") ?? "");
    expect(repo).toMatchObject({
      kind: "OCIRepository",
      spec: { url: "oci://registry.example.com/charts/metallb-ts", ref: { semver: "0.1.x" } },
    });
    expect(hr?.spec).toMatchObject({ chartRef: { kind: "OCIRepository", name: "metallb-ts" } });
    expect((hr?.spec as { chart?: unknown }).chart).toBeUndefined();
    expect(objectProblems(repo!)).toEqual([]);
    expect(objectProblems(hr!)).toEqual([]);
  });

  it("passes the registry's pull Secret and plain HTTP to the OCIRepository only when declared", () => {
    const withAccess = renderTree(
      {
        ...DECL,
        chart: {
          source: "oci",
          url: "oci://127.0.0.1:5000/charts/",
          version: "0.1.x",
          secretRef: "registry-pull",
          insecure: true,
        },
      },
      "0.1.0",
    );
    const [repo] = objectsOf(withAccess.owned.get("base/services/metallb/source.yaml") ?? "");
    expect(repo?.spec).toMatchObject({
      url: "oci://127.0.0.1:5000/charts/metallb-ts",
      secretRef: { name: "registry-pull" },
      insecure: true,
    });
    expect(objectProblems(repo!)).toEqual([]);
    const plain = renderTree(
      { ...DECL, chart: { source: "oci", url: "oci://r.example.com/c", version: "1.x" } },
      "0.1.0",
    );
    const [bare] = objectsOf(plain.owned.get("base/services/metallb/source.yaml") ?? "");
    expect(Object.keys(bare?.spec ?? {})).not.toContain("insecure");
    expect(Object.keys(bare?.spec ?? {})).not.toContain("secretRef");
  });

  it("refuses a pull Secret that is not an object name, naming the line", () => {
    expect(() =>
      parseClusters(
        "repository:\n  url: u\n  branch: main\nchart:\n  source: oci\n  url: oci://r/c\n  version: 0.1.x\n  secretRef: Pull_Secret\nclusters:\n  - name: a\n",
      ),
    ).toThrow(/clusters\.yaml:8:chart\.secretRef/);
  });

  it("labels the namespace for Pod Security (privileged enforced for the speaker, restricted audited)", () => {
    const [ns] = objectsOf(owned("base/services/metallb/namespace.yaml"));
    expect(ns?.metadata.labels).toEqual({
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    });
  });

  it("every Kubernetes and Flux object passes its kind's published schema", () => {
    const all = [...tree.owned]
      .filter(
        ([p]) =>
          !p.endsWith("kustomization.yaml") &&
          !p.endsWith("kustomizeconfig.yaml") &&
          !p.includes("helm-values"),
      )
      .flatMap(([, text]) => objectsOf(text));
    expect(all.map((o) => o.kind).sort()).toEqual(
      expect.arrayContaining([
        "GitRepository",
        "HelmRelease",
        "Kustomization",
        "Namespace",
        "Receiver",
      ]),
    );
    for (const o of all) expect(objectProblems(o), `${o.kind}/${o.metadata.name}`).toEqual([]);
  });

  it("the Flux schema check catches a wrong field type", () => {
    const [hr] = objectsOf(owned("base/services/metallb/helmrelease.yaml"));
    const bad = { ...hr!, spec: { ...(hr!.spec as object), interval: 600 } };
    expect(objectProblems(bad).map((p) => p.path.join("."))).toContain("spec.interval");
  });
});

describe("clusters.yaml", () => {
  it("names the line, path and fix of a mistake", () => {
    const text =
      "repository:\n  url: https://git.example.com/x.git\n  branch: main\nchart:\n  source: git\nclusters:\n  - name: Lab_L2\n";
    expect(() => parseClusters(text)).toThrow(
      /clusters\.yaml:7:clusters\[0\]\.name: "Lab_L2" does not have the expected form/,
    );
  });

  it("refuses a cluster declared twice", () => {
    const text =
      "repository:\n  url: u\n  branch: main\nchart:\n  source: git\nclusters:\n  - name: a\n  - name: a\n";
    expect(() => parseClusters(text)).toThrow(/clusters\[1\]\.name: "a" is declared twice/);
  });
});
