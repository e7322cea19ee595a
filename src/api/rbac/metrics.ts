// Who may read a runtime process's /metrics is asked of the API server
// (src/runtime/http/metrics-auth.ts); both processes need to ask, and readers need a grant.
import type { V1PolicyRule } from "@kubernetes/client-node";

/** What the controller and the speaker need to review a metrics caller's token. */
export const METRICS_AUTH_RULES: V1PolicyRule[] = [
  { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
  { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
];

/** What a scraper (Prometheus) needs: the chart's <release>-metrics-reader ClusterRole. */
export const METRICS_READER_RULES: V1PolicyRule[] = [
  { nonResourceURLs: ["/metrics"], verbs: ["get"] },
];
