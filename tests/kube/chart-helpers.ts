// Renders charts/metallb-ts like Flux will (hardened base values, then a cluster's override) and
// hands the objects to the kube tests.
import type { KubernetesObjectApi } from "@kubernetes/client-node";
import { PatchStrategy } from "@kubernetes/client-node";
import { join } from "node:path";
import { describeApiError } from "../../src/lab/kube/crds.js";
import { helmTemplate, type KubeObject } from "../../src/gitops/tools/helm.js";

export const ROOT = join(import.meta.dirname, "../..");
export const CHART = join(ROOT, "charts/metallb-ts");
export const overrideOf = (cluster: string): string =>
  join(ROOT, "overlays", cluster, "services/metallb/override-values.yaml");

/** The base values every cluster's HelmRelease reads first (synthesized, committed). */
export const hardenedValuesFile = (): string =>
  join(ROOT, "base/services/metallb/helm-values/hardened-values.yaml");

export function render(namespace: string, extraValues: string[] = []): Promise<KubeObject[]> {
  return helmTemplate({
    chartDir: CHART,
    release: namespace,
    namespace,
    valuesFiles: [hardenedValuesFile(), ...extraValues],
  });
}

export type PodSpec = {
  hostNetwork?: boolean;
  securityContext?: Record<string, unknown>;
  containers: {
    name: string;
    args?: string[];
    securityContext?: {
      privileged?: boolean;
      allowPrivilegeEscalation?: boolean;
      readOnlyRootFilesystem?: boolean;
      runAsNonRoot?: boolean;
      capabilities?: { add?: string[]; drop?: string[] };
      seccompProfile?: { type: string };
    };
    resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  }[];
};

/** Pod templates of the workloads, by kind. */
export function podSpecs(objects: KubeObject[]): { kind: string; spec: PodSpec }[] {
  return objects
    .filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet")
    .map((o) => ({
      kind: o.kind,
      spec: (o.spec as { template: { spec: PodSpec } }).template.spec,
    }));
}

/** Undefined when the API server accepts the object (server-side apply, dry run), else why not. */
export async function dryRunApply(
  api: KubernetesObjectApi,
  o: KubeObject,
): Promise<string | undefined> {
  try {
    await api.patch(
      o,
      undefined,
      "All",
      "metallb-ts-dist-test",
      true,
      PatchStrategy.ServerSideApply,
    );
    return undefined;
  } catch (err) {
    return `${o.kind}/${o.metadata.name}: ${describeApiError(err)}`;
  }
}
