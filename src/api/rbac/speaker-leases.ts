// What keeps one node's speaker from writing another's Lease, or the controller's leader Lease.
// RBAC cannot say it (a speaker needs create/patch/delete on Leases, and their names are not
// known when the chart is rendered), so a ValidatingAdmissionPolicy does, keyed on the node name
// the API server puts in a Pod-bound ServiceAccount token (user extra
// authentication.kubernetes.io/node-name, Kubernetes 1.32+). The chart wraps this spec with the
// release's names (templates/speaker-lease-policy.yaml); the rules live here, beside the RBAC.

/** Every speaker's Lease is this prefix and its node name; the speaker holds it as the node. */
export const SPEAKER_LEASE_PREFIX = "metallb-speaker-";

/** The user extra a Pod-bound ServiceAccount token carries: the Pod's node. */
export const NODE_NAME_EXTRA = "authentication.kubernetes.io/node-name";

/** The speaker's ServiceAccount (the chart's serviceaccounts.yaml). */
export const SPEAKER_SERVICE_ACCOUNT = "speaker";

const node = "variables.node";
const lease = "variables.lease";

/** spec of the ValidatingAdmissionPolicy, independent of the release (the request names it). */
export const SPEAKER_LEASE_POLICY_SPEC = {
  failurePolicy: "Fail",
  matchConstraints: {
    resourceRules: [
      {
        apiGroups: ["coordination.k8s.io"],
        apiVersions: ["v1"],
        operations: ["CREATE", "UPDATE", "DELETE"],
        resources: ["leases"],
      },
    ],
  },
  matchConditions: [
    {
      name: "speaker-service-account",
      // The Lease's namespace is the release's: the binding selects only that one.
      expression: `request.userInfo.username == "system:serviceaccount:" + request.namespace + ":${SPEAKER_SERVICE_ACCOUNT}"`,
    },
  ],
  variables: [
    {
      name: "node",
      expression: `has(request.userInfo.extra) && "${NODE_NAME_EXTRA}" in request.userInfo.extra && size(request.userInfo.extra["${NODE_NAME_EXTRA}"]) == 1 ? request.userInfo.extra["${NODE_NAME_EXTRA}"][0] : ""`,
    },
    { name: "lease", expression: `request.operation == "DELETE" ? oldObject : object` },
  ],
  validations: [
    {
      expression: `${node} != ""`,
      reason: "Forbidden",
      message:
        "the speaker's token names no node: it must be the token the kubelet projects into the speaker Pod (bound to the Pod, Kubernetes 1.32+); a token from another source cannot write Leases",
    },
    {
      expression: `${lease}.metadata.name == "${SPEAKER_LEASE_PREFIX}" + ${node}`,
      reason: "Forbidden",
      messageExpression: `"the speaker on node " + ${node} + " may write only Lease ${SPEAKER_LEASE_PREFIX}" + ${node} + ", not " + ${lease}.metadata.name`,
    },
    {
      expression: `request.operation == "DELETE" || (has(object.spec.holderIdentity) && object.spec.holderIdentity == ${node})`,
      reason: "Forbidden",
      messageExpression: `"the speaker on node " + ${node} + " must hold its Lease as " + ${node}`,
    },
  ],
};
