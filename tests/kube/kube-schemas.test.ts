// validate's vendored schemas for built-in, Flux and Prometheus-operator kinds are exactly what
// tools/kube-schemas.ts makes from the sources the test environment runs (the k8s.io/kubernetes
// module of our kube-apiserver, the Flux controllers' CRDs): a version bump cannot leave validate
// on old schemas. tests/kube/validate-parity.test.ts holds validate's verdicts on rendered
// objects against the API server's.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KUBE_SCHEMAS_PATH, renderVendored, vendorSchemas } from "../../tools/kube-schemas.js";

describe("src/gitops/validate/kube-schemas.json", () => {
  it("is what tools/kube-schemas.ts makes from this environment's sources", () => {
    const fresh = renderVendored(vendorSchemas());
    expect(
      readFileSync(KUBE_SCHEMAS_PATH, "utf8") === fresh,
      "out of date: run `npm run schemas:vendor` and commit the result",
    ).toBe(true);
  });

  it("covers every kind the chart and the synth render", () => {
    const kinds = Object.keys(vendorSchemas().kinds);
    expect(kinds).toEqual(
      expect.arrayContaining(["apps/v1/Deployment", "helm.toolkit.fluxcd.io/v2/HelmRelease"]),
    );
  });
});
