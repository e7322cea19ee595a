// Clients for the test API server, one per identity.
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";

type Identity = "admin" | "controller" | "speaker";
import { inject } from "vitest";

export function kubeConfigFor(identity: Identity): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject("kube").kubeconfigs[identity]);
  return kc;
}

export function customObjects(identity: Identity = "admin"): CustomObjectsApi {
  return kubeConfigFor(identity).makeApiClient(CustomObjectsApi);
}
