// Which Services this installation serves, and how they are named: shared by the controller
// (which assigns) and the speaker (which announces), so both agree on the same set.
import type { V1Service } from "@kubernetes/client-node";

export const serviceKey = (svc: V1Service): string =>
  `${svc.metadata?.namespace}/${svc.metadata?.name}`;

/**
 * Why a Service is not ours to serve, or undefined when it is: a LoadBalancer of our class (of
 * no class when none is configured).
 */
export function notOurs(svc: V1Service, lbClass: string | undefined): string | undefined {
  if (svc.spec?.type !== "LoadBalancer") return "not a LoadBalancer Service";
  const cls = svc.spec.loadBalancerClass;
  if (lbClass === undefined && cls)
    return `loadBalancerClass ${cls} belongs to another implementation`;
  if (lbClass !== undefined && cls !== lbClass) return `loadBalancerClass is not ${lbClass}`;
  return undefined;
}
