// What a set of RBAC rules allows, computed from the rules themselves (no resourceNames, no
// nonResourceURLs: the chart uses neither), for comparing with the API server's answers.
import type { V1PolicyRule } from "@kubernetes/client-node";

export interface Access {
  group: string;
  /** "services" or "services/status" */
  resource: string;
  verb: string;
}

const has = (list: string[] | undefined, v: string) =>
  !!list && (list.includes(v) || list.includes("*"));

export const rulesAllow = (rules: V1PolicyRule[], a: Access): boolean =>
  rules.some(
    (r) => has(r.apiGroups, a.group) && has(r.resources, a.resource) && has(r.verbs, a.verb),
  );
