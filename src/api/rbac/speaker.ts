// The speaker's least-privilege permissions, as data: the chart renders them (one source) and the
// RBAC tests ask the API server what they allow. The speaker reads cluster state to decide what
// to announce; it writes only its own status objects, Leases and events, and reads Secrets
// only in its namespace (BGP passwords).
import type { V1PolicyRule } from "@kubernetes/client-node";
import { METRICS_AUTH_RULES } from "./metrics.js";

/** Cluster-wide: which nodes exist and may announce, which Services need announcing. */
export const SPEAKER_CLUSTER_RULES: V1PolicyRule[] = [
  { apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] },
  { apiGroups: [""], resources: ["services"], verbs: ["list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
  ...METRICS_AUTH_RULES,
];

/** In the runtime namespace: configuration, announcement status, node liveness, keys. */
export const SPEAKER_NAMESPACE_RULES: V1PolicyRule[] = [
  {
    apiGroups: ["metallb.io"],
    resources: [
      "ipaddresspools",
      "l2advertisements",
      "bgpadvertisements",
      "bgppeers",
      "bfdprofiles",
      "communities",
    ],
    verbs: ["get", "list", "watch"],
  },
  {
    apiGroups: ["metallb.io"],
    resources: ["servicel2statuses", "servicebgpstatuses"],
    verbs: ["list", "create", "delete"],
  },
  // Its own ConfigurationState (speaker-<node>): created once, then its status patched.
  { apiGroups: ["metallb.io"], resources: ["configurationstates"], verbs: ["create"] },
  {
    apiGroups: ["metallb.io"],
    resources: [
      "servicel2statuses/status",
      "servicebgpstatuses/status",
      "configurationstates/status",
    ],
    verbs: ["patch"],
  },
  // BGPPeer passwordSecret (TCP MD5 keys); the speaker watches only basic-auth Secrets.
  { apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"] },
  {
    apiGroups: ["coordination.k8s.io"],
    resources: ["leases"],
    verbs: ["list", "watch", "create", "patch", "delete"],
  },
];
