// base/services/metallb/helm-values/hardened-values.yaml: the security-relevant values pinned in
// GitOps (the base Secret every cluster's HelmRelease reads first), so a chart default changing
// cannot silently weaken a cluster. Taken from the chart defaults: one source.
import { defaultValues } from "./defaults.js";

export function hardenedValues(version: string): Record<string, unknown> {
  const d = defaultValues(version);
  const pick = (c: typeof d.controller | typeof d.speaker) => ({
    image: c.image,
    securityContext: c.securityContext,
    podSecurityContext: c.podSecurityContext,
    resources: c.resources,
  });
  return {
    controller: {
      ...pick(d.controller),
      replicas: d.controller.replicas,
      podDisruptionBudget: d.controller.podDisruptionBudget,
    },
    speaker: pick(d.speaker),
    networkPolicy: { enabled: d.networkPolicy.enabled },
  };
}
