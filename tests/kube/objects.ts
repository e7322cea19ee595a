// Create/replace metallb.io objects as plain manifests; return the API server's verdict.
import { describeApiError } from "../../src/lab/kube/crds.js";
import { customObjects } from "./client.js";

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  spec?: unknown;
  [k: string]: unknown;
}

const PLURALS: Record<string, string> = {
  IPAddressPool: "ipaddresspools",
  L2Advertisement: "l2advertisements",
  BGPAdvertisement: "bgpadvertisements",
  BGPPeer: "bgppeers",
  BFDProfile: "bfdprofiles",
  Community: "communities",
  ServiceL2Status: "servicel2statuses",
  ServiceBGPStatus: "servicebgpstatuses",
  ConfigurationState: "configurationstates",
  // Flux kinds, for the tests of their CRDs' rules (tests/kube/flux-crd-rules.test.ts).
  HelmRelease: "helmreleases",
  Kustomization: "kustomizations",
  Receiver: "receivers",
};

function target(m: Manifest) {
  const [group, version] = m.apiVersion.split("/");
  const plural = PLURALS[m.kind];
  if (!group || !version || !plural)
    throw new Error(`no plural known for ${m.apiVersion} ${m.kind}: add it to PLURALS`);
  return { group, version, plural, namespace: m.metadata.namespace ?? "metallb-system" };
}

/** Undefined when the API server accepts the object, else its error message. */
export async function createVerdict(m: Manifest, dryRun = true): Promise<string | undefined> {
  try {
    await customObjects().createNamespacedCustomObject({
      ...target(m),
      body: m,
      fieldValidation: "Strict",
      ...(dryRun ? { dryRun: "All" } : {}),
    });
    return undefined;
  } catch (err) {
    return describeApiError(err);
  }
}

export async function replaceVerdict(m: Manifest): Promise<string | undefined> {
  const api = customObjects();
  const t = target(m);
  try {
    const current = (await api.getNamespacedCustomObject({
      ...t,
      name: m.metadata.name,
    })) as Manifest;
    const body = {
      ...m,
      metadata: { ...m.metadata, resourceVersion: current.metadata.resourceVersion },
    };
    await api.replaceNamespacedCustomObject({ ...t, name: m.metadata.name, body });
    return undefined;
  } catch (err) {
    return describeApiError(err);
  }
}
