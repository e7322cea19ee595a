// validate evaluates the Flux CRDs' own CEL rules with the engine that runs ours: its verdict on
// each Flux object must be the API server's, with the Flux CRDs installed from the controllers
// the test environment builds.
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { installCrds } from "../../src/lab/kube/crds.js";
import { cacheDir } from "../../src/sys/tools.js";
import { objectProblems } from "../../src/gitops/validate/objects.js";
import type { KubeObject } from "../../src/gitops/tools/helm.js";
import vendored from "../../src/gitops/validate/kube-schemas.json" with { type: "json" };
import { createVerdict, type Manifest } from "./objects.js";

beforeAll(async () => {
  for (const c of [
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
  ])
    await installCrds(inject("kube").kubeconfigs.admin, join(cacheDir(), "bin/flux-crds", c));
}, 60_000);

const RULE_MESSAGES = [...JSON.stringify(vendored.kinds).matchAll(/"message":"([^"]+)"/g)]
  .map((m) => m[1] ?? "")
  .concat(["failed rule"]);

const meta = { name: "x", namespace: "metallb-system" };
const release = (spec: object): Manifest => ({
  apiVersion: "helm.toolkit.fluxcd.io/v2",
  kind: "HelmRelease",
  metadata: meta,
  spec: { interval: "10m", ...spec },
});
const chart = { spec: { chart: "metallb-ts", sourceRef: { kind: "GitRepository", name: "g" } } };
const chartRef = { kind: "OCIRepository", name: "o" };
const receiver = (spec: object): Manifest => ({
  apiVersion: "notification.toolkit.fluxcd.io/v1",
  kind: "Receiver",
  metadata: meta,
  spec: { resources: [{ kind: "GitRepository", name: "g" }], secretRef: { name: "s" }, ...spec },
});

const cases: [string, Manifest][] = [
  ["HelmRelease with chart", release({ chart })],
  ["HelmRelease with chartRef", release({ chartRef })],
  ["HelmRelease with chart and chartRef", release({ chart, chartRef })],
  ["HelmRelease with neither", release({})],
  [
    "HelmRelease verifying a chart from Git",
    release({ chart: { spec: { ...chart.spec, verify: { provider: "cosign" } } } }),
  ],
  ["Receiver generic", receiver({ type: "generic" })],
  ["Receiver github", receiver({ type: "github" })],
];

describe("Flux CRDs' CEL rules: validate and the API server agree", () => {
  it.each(cases)("%s", async (_name, manifest) => {
    const server = await createVerdict(manifest);
    const offline = objectProblems(manifest as KubeObject).filter((p) =>
      p.fix.includes("CRD's rule"),
    );
    // A refusal by one of the CRDs' CEL rules quotes the rule's message (or "failed rule").
    const celRefused = server !== undefined && RULE_MESSAGES.some((m) => server.includes(m));
    expect(
      offline.length > 0,
      `${server ?? "accepted"} | ${offline.map((p) => p.problem).join("; ")}`,
    ).toBe(celRefused);
    for (const p of offline) expect(server).toContain(p.problem);
  });

  it("covers a refusal", async () => {
    expect(await createVerdict(release({ chart, chartRef }))).toMatch(/either chart or chartRef/);
  });
});
