// Reading Flux's objects the way `flux get` does: Ready condition, message, applied revision.
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { mergePatch } from "../../runtime/kube/patch.js";

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface FluxObject {
  metadata: { name: string; namespace: string; generation?: number };
  spec?: Record<string, unknown>;
  status?: {
    conditions?: Condition[];
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    observedGeneration?: number;
    artifact?: { revision?: string };
    /** HelmRelease: releases (chartVersion, status); Kustomization: revisions and outcomes. */
    history?: {
      chartVersion?: string;
      status?: string;
      version?: number;
      metadata?: { revision?: string };
      lastReconciledStatus?: string;
    }[];
  };
}

const KINDS = {
  GitRepository: ["source.toolkit.fluxcd.io", "v1", "gitrepositories"],
  HelmChart: ["source.toolkit.fluxcd.io", "v1", "helmcharts"],
  OCIRepository: ["source.toolkit.fluxcd.io", "v1", "ocirepositories"],
  Kustomization: ["kustomize.toolkit.fluxcd.io", "v1", "kustomizations"],
  HelmRelease: ["helm.toolkit.fluxcd.io", "v2", "helmreleases"],
  Receiver: ["notification.toolkit.fluxcd.io", "v1", "receivers"],
} as const;
export type FluxKind = keyof typeof KINDS;

export class FluxStatus {
  private readonly custom: CustomObjectsApi;
  constructor(kubeconfig: string) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async get(kind: FluxKind, namespace: string, name: string): Promise<FluxObject> {
    const [group, version, plural] = KINDS[kind];
    return (await this.custom.getNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name,
    })) as FluxObject;
  }

  /** Asks for a reconcile now, as `flux reconcile` does. */
  async requestReconcile(kind: FluxKind, namespace: string, name: string): Promise<void> {
    const [group, version, plural] = KINDS[kind];
    await this.custom.patchNamespacedCustomObject(
      {
        group,
        version,
        namespace,
        plural,
        name,
        body: {
          metadata: {
            annotations: { "reconcile.fluxcd.io/requestedAt": new Date().toISOString() },
          },
        },
      },
      mergePatch,
    );
  }
}

export const ready = (o: FluxObject): Condition | undefined =>
  o.status?.conditions?.find((c) => c.type === "Ready");

/** The IPAddressPools the release created in `namespace`, by name order. */
export async function poolNames(kubeconfig: string, namespace: string): Promise<string[]> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: "metallb.io",
    version: "v1beta1",
    namespace,
    plural: "ipaddresspools",
  })) as { items: { metadata: { name: string } }[] };
  return list.items.map((p) => p.metadata.name).sort();
}
