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
import { parse, parseAllDocuments } from "yaml";
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
      "flux-system/lab-bgp/kustomization.yaml",
      "flux-system/lab-bgp/kustomizations.yaml",
      "flux-system/lab-bgp/source.yaml",
      "overlays/lab-bgp/services/metallb/kustomization.yaml",
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

  it("orders each cluster's Flux Kustomizations base → overlay → policies, waiting and pruning", () => {
    for (const cluster of ["lab-l2", "lab-bgp"]) {
      const ks = objectsOf(owned(`flux-system/${cluster}/kustomizations.yaml`));
      const spec = (name: string) =>
        ks.find((k) => k.metadata.name === name)?.spec as {
          dependsOn?: { name: string }[];
          path: string;
          wait: boolean;
          prune: boolean;
          timeout: string;
        };
      expect(spec("metallb-ts-base").dependsOn).toBeUndefined();
      expect(spec("metallb-ts-overlay").dependsOn).toEqual([{ name: "metallb-ts-base" }]);
      expect(spec("metallb-ts-policies").dependsOn).toEqual([{ name: "metallb-ts-overlay" }]);
      expect(spec("metallb-ts-overlay").path).toBe(`./overlays/${cluster}/services/metallb`);
      for (const k of ks) expect(k.spec).toMatchObject({ wait: true, prune: true, timeout: "5m" });
    }
  });

  it("labels both values Secrets for immediate reconciliation", () => {
    const generators = [
      owned("base/services/metallb/kustomization.yaml"),
      owned("overlays/lab-l2/services/metallb/kustomization.yaml"),
    ].map(
      (t) =>
        (parse(t) as { secretGenerator: { options: { labels: Record<string, string> } }[] })
          .secretGenerator[0],
    );
    for (const g of generators)
      expect(g?.options.labels).toEqual({ "reconcile.fluxcd.io/watch": "Enabled" });
  });

  it("gives the HelmRelease remediation, drift detection, CRD replacement and layered values", () => {
    const [hr] = objectsOf(owned("base/services/metallb/helmrelease.yaml"));
    expect(hr?.spec).toMatchObject({
      install: { crds: "CreateReplace", remediation: { retries: 3 } },
      upgrade: { crds: "CreateReplace", remediation: { retries: 3, remediateLastFailure: true } },
      driftDetection: { mode: "enabled" },
      valuesFrom: [
        { kind: "Secret", name: "metallb-ts-hardened-values", valuesKey: "values.yaml" },
        {
          kind: "Secret",
          name: "metallb-ts-override-values",
          valuesKey: "values.yaml",
          optional: true,
        },
      ],
      chart: { spec: { chart: "./charts/metallb-ts", sourceRef: { kind: "GitRepository" } } },
    });
  });

  it("sources the chart from an OCI Helm repository when clusters.yaml says so", () => {
    const oci = renderTree(
      {
        ...DECL,
        chart: { source: "oci", url: "oci://registry.example.com/charts", version: "0.1.0" },
      },
      "0.1.0",
    );
    const [repo] = objectsOf(oci.owned.get("base/services/metallb/source.yaml") ?? "");
    const [hr] = objectsOf(oci.owned.get("base/services/metallb/helmrelease.yaml") ?? "");
    expect(repo).toMatchObject({
      kind: "HelmRepository",
      spec: { type: "oci", url: "oci://registry.example.com/charts" },
    });
    expect(hr?.spec).toMatchObject({
      chart: {
        spec: {
          chart: "metallb-ts",
          version: "0.1.0",
          sourceRef: { kind: "HelmRepository", name: "metallb-ts" },
        },
      },
    });
    expect(objectProblems(repo!)).toEqual([]);
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
      .filter(([p]) => !p.endsWith("kustomization.yaml") && !p.includes("helm-values"))
      .flatMap(([, text]) => objectsOf(text));
    expect(all.map((o) => o.kind).sort()).toEqual(
      expect.arrayContaining(["GitRepository", "HelmRelease", "Kustomization", "Namespace"]),
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
