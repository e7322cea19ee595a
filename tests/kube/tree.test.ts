// The synthesized GitOps tree as Flux would apply it: every kustomization builds with kubectl's
// kustomize (or, without a kustomization file, as Flux builds a directory), the core objects are accepted by the real API server (server-side apply, dry run),
// and the Flux objects match Flux's published schemas (Flux's CRDs are not installed here).
import { KubernetesObjectApi } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/gitops/tools/helm.js";
import { fluxUnits, kustomizeBuild } from "../../src/gitops/tools/kustomize.js";
import { objectProblems } from "../../src/gitops/validate/objects.js";
import { ROOT, dryRunApply } from "./chart-helpers.js";
import { kubeConfigFor } from "./client.js";

const objects = KubernetesObjectApi.makeApiClient(kubeConfigFor("admin"));
const isFlux = (o: KubeObject) => o.apiVersion.includes(".fluxcd.io/");

const DIRS = [
  "base/services/metallb",
  "overlays/lab-l2/services/metallb",
  "overlays/lab-bgp/services/metallb",
  "flux-system/lab-l2",
  "flux-system/lab-bgp",
  "policies",
];

describe.each(DIRS)("Flux's build of %s", (dir) => {
  it("builds, and every object is accepted (API server or Flux schema)", async () => {
    const built = [];
    for (const unit of fluxUnits(`${ROOT}/${dir}`)) built.push(...(await unit.build()));
    if (dir !== "policies") expect(built.length).toBeGreaterThan(0);
    const core = built.filter((o) => !isFlux(o));
    expect((await Promise.all(core.map((o) => dryRunApply(objects, o)))).filter(Boolean)).toEqual(
      [],
    );
    for (const o of built.filter(isFlux))
      expect(objectProblems(o), `${o.kind}/${o.metadata.name}`).toEqual([]);
  });
});

describe("values Secrets", () => {
  it.each(["base/services/metallb", "overlays/lab-bgp/services/metallb"])(
    "%s yields Secrets whose values.yaml Helm can read",
    async (dir) => {
      const secrets = (await kustomizeBuild(`${ROOT}/${dir}`)).filter((o) => o.kind === "Secret");
      const secret = secrets[secrets.length - 1];
      const data = (secret?.data as Record<string, string> | undefined)?.["values.yaml"] ?? "";
      expect(Buffer.from(data, "base64").toString()).toMatch(/^(controller|speaker|#)/m);
    },
  );
});
