// The controller's least-privilege permissions, as data: the chart renders them and the tests
// run the controller under exactly these.
import type { V1PolicyRule } from "@kubernetes/client-node";
import { METRICS_AUTH_RULES } from "./metrics.js";

/** Cluster-wide: Services of every namespace, their status, namespaces (for selectors), events. */
export const CONTROLLER_CLUSTER_RULES: V1PolicyRule[] = [
  { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch", "patch"] },
  { apiGroups: [""], resources: ["services/status"], verbs: ["patch"] },
  { apiGroups: [""], resources: ["namespaces"], verbs: ["list", "watch"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
  ...METRICS_AUTH_RULES,
];

/** In the runtime namespace: the configuration it reads and reports on. */
export const CONTROLLER_NAMESPACE_RULES: V1PolicyRule[] = [
  { apiGroups: ["metallb.io"], resources: ["ipaddresspools"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["metallb.io"], resources: ["ipaddresspools/status"], verbs: ["patch"] },
  { apiGroups: ["metallb.io"], resources: ["configurationstates"], verbs: ["create"] },
  { apiGroups: ["metallb.io"], resources: ["configurationstates/status"], verbs: ["patch"] },
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "patch"] },
  // The speakers' heartbeat key, made once if missing; never read (heartbeat-secret.ts).
  { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
];
