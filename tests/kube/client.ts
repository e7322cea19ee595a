// Clients for the test API server, one per identity.
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { inject } from "vitest";

export function kubeConfigFor(identity: "admin" | "controller" | "speaker"): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject("kube").kubeconfigs[identity]);
  return kc;
}

export const customObjects = (identity: "admin" | "controller" | "speaker" = "admin") =>
  kubeConfigFor(identity).makeApiClient(CustomObjectsApi);
