// Grants one of the runtime's ServiceAccount identities exactly the rules the chart renders for
// it: a ClusterRole for the cluster-wide rules, a Role in the namespace its configuration lives in.
// Tests, benchmarks and the lab bind the same rules, so a missing permission fails there first.
import {
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1PolicyRule,
} from "@kubernetes/client-node";
import { RUNTIME_NAMESPACE } from "./identities.js";

export interface RbacGrant {
  /** The ServiceAccount in the runtime namespace ("controller" or "speaker"). */
  serviceAccount: string;
  clusterRules: V1PolicyRule[];
  namespaceRules: V1PolicyRule[];
  /** Where the Role goes (default: the runtime namespace). */
  namespace?: string;
}

const ignoreConflict = (err: unknown): void => {
  if ((err as { code?: number }).code !== 409) throw err as Error;
};

/** Idempotent: objects that already exist are left as they are. */
export async function grantRbac(admin: KubeConfig, grant: RbacGrant): Promise<void> {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const apiGroup = "rbac.authorization.k8s.io";
  const subjects = [
    { kind: "ServiceAccount", name: grant.serviceAccount, namespace: RUNTIME_NAMESPACE },
  ];
  const name = `metallb-ts:${grant.serviceAccount}`;
  const namespace = grant.namespace ?? RUNTIME_NAMESPACE;
  await rbac
    .createClusterRole({ body: { metadata: { name }, rules: grant.clusterRules } })
    .catch(ignoreConflict);
  await rbac
    .createClusterRoleBinding({
      body: { metadata: { name }, roleRef: { apiGroup, kind: "ClusterRole", name }, subjects },
    })
    .catch(ignoreConflict);
  await rbac
    .createNamespacedRole({
      namespace,
      body: { metadata: { name }, rules: grant.namespaceRules },
    })
    .catch(ignoreConflict);
  await rbac
    .createNamespacedRoleBinding({
      namespace,
      body: { metadata: { name }, roleRef: { apiGroup, kind: "Role", name }, subjects },
    })
    .catch(ignoreConflict);
}
