// Who may ask for which load-balancer addresses: ValidatingAdmissionPolicies (CEL in the API
// server, no webhook) that `npm run synth` writes to policies/ and Flux applies once the release
// is Ready. The controller enforces the same ownership when it allocates; the policies refuse the
// request at `kubectl apply`, with the reason and who may do it, before anything is squatted.
//
//   external-ips          spec.externalIPs only from Envoy Gateway (the CVE-2020-8554 class)
//   address-requests      specific addresses and pools only from namespaces allowed to ask
//   reserved-services     a Gateway's reserved addresses only for its own Service
//   reserved-gateways     … and only in that Gateway's spec.addresses
//   controller-annotations  metallb.io/ip-allocated-from-pool written by the controller only
//   gateway-addresses     Gateway.spec.addresses only from namespaces allowed to ask
import { ENVOY_GATEWAY_LABEL, RESERVED_FROM_LABEL } from "../gateway.js";
import { ANNOTATION, DEPRECATED_ANNOTATION_PREFIX } from "../service.js";

/** A namespace labelled so may ask for specific addresses, pools and Gateway addresses. */
export const ADDRESS_REQUESTS_LABEL = "metallb-ts.io/address-requests";
export const ADDRESS_REQUESTS_ALLOWED = "allowed";

/** The ConfigMap (rendered by the chart from its values) the policies read identities from. */
export const POLICY_PARAMS = {
  name: "metallb-ts-policy-params",
  envoyGateway: "envoyGatewayServiceAccount",
  controller: "controllerServiceAccount",
} as const;

const legacy = (a: string) => DEPRECATED_ANNOTATION_PREFIX + a.split("/")[1];
const IPS_KEYS = [ANNOTATION.loadBalancerIPs, legacy(ANNOTATION.loadBalancerIPs)];
const POOL_KEYS = [ANNOTATION.addressPool, legacy(ANNOTATION.addressPool)];
const OWNED_KEYS = [ANNOTATION.allocatedFromPool, legacy(ANNOTATION.allocatedFromPool)];

const q = (s: string) => JSON.stringify(s);
const list = (xs: readonly string[]) => `[${xs.map(q).join(", ")}]`;

const services = (operations = ["CREATE", "UPDATE"]) => ({
  resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations, resources: ["services"] }],
});
const gateways = {
  resourceRules: [
    {
      apiGroups: ["gateway.networking.k8s.io"],
      apiVersions: ["*"],
      operations: ["CREATE", "UPDATE"],
      resources: ["gateways"],
    },
  ],
};

const ann = {
  name: "ann",
  expression: "has(object.metadata.annotations) ? object.metadata.annotations : {}",
};
const oldAnn = {
  name: "oldAnn",
  expression:
    'request.operation == "UPDATE" && has(oldObject.metadata.annotations) ? oldObject.metadata.annotations : {}',
};
const param = (key: string) => `params.data[${q(key)}]`;
const envoyUser = `request.userInfo.username == ${param(POLICY_PARAMS.envoyGateway)}`;
const who = 'request.namespace + "/" + object.metadata.name';
const allowedNamespace = {
  name: "allowedNamespace",
  expression: `has(namespaceObject.metadata.labels) && ${q(ADDRESS_REQUESTS_LABEL)} in namespaceObject.metadata.labels && namespaceObject.metadata.labels[${q(ADDRESS_REQUESTS_LABEL)}] == ${q(ADDRESS_REQUESTS_ALLOWED)}`,
};
const askLabel = `${ADDRESS_REQUESTS_LABEL}=${ADDRESS_REQUESTS_ALLOWED}`;

export interface PolicySpec {
  name: string;
  /** What the binding's paramRef points at (undefined: the policy takes no parameters). */
  params:
    | { kind: "ConfigMap" }
    | { kind: "IPAddressPool"; selector: { matchExpressions: object[] } };
  spec: Record<string, unknown>;
}

const configMapParams = { apiVersion: "v1", kind: "ConfigMap" };
const reservationParams = { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool" };
const reservations = {
  kind: "IPAddressPool" as const,
  selector: { matchExpressions: [{ key: RESERVED_FROM_LABEL, operator: "Exists" }] },
};

// A reservation pool's addresses as the policies see them: CIDR entries (the chart renders /32
// and /128); the Gateway it is for, from its serviceAllocation's Envoy Gateway labels.
const takenFrom = (requested: string) =>
  `${requested}.filter(a, isIP(a) && params.spec.addresses.exists(c, isCIDR(c) && cidr(c).containsIP(a)))`;
const selectors =
  "has(params.spec.serviceAllocation) && has(params.spec.serviceAllocation.serviceSelectors) ? params.spec.serviceAllocation.serviceSelectors.filter(s, has(s.matchLabels)) : []";
const reservedFor = `variables.selectors.exists(s, ${q(ENVOY_GATEWAY_LABEL.name)} in s.matchLabels && ${q(ENVOY_GATEWAY_LABEL.namespace)} in s.matchLabels) ? "Gateway " + variables.selectors.filter(s, ${q(ENVOY_GATEWAY_LABEL.name)} in s.matchLabels && ${q(ENVOY_GATEWAY_LABEL.namespace)} in s.matchLabels)[0].matchLabels[${q(ENVOY_GATEWAY_LABEL.namespace)}] + "/" + variables.selectors.filter(s, ${q(ENVOY_GATEWAY_LABEL.name)} in s.matchLabels && ${q(ENVOY_GATEWAY_LABEL.namespace)} in s.matchLabels)[0].matchLabels[${q(ENVOY_GATEWAY_LABEL.name)}] : "the Services its serviceAllocation selects"`;
const reservationText = `"IPAddressPool " + params.metadata.name + " reserves " + variables.taken.join(", ") + " for " + (${reservedFor})`;

export const ADDRESS_POLICIES: PolicySpec[] = [
  {
    name: "metallb-ts-external-ips",
    params: { kind: "ConfigMap" },
    spec: {
      failurePolicy: "Fail",
      paramKind: configMapParams,
      matchConstraints: services(),
      matchConditions: [
        {
          name: "sets-external-ips",
          expression: "has(object.spec.externalIPs) && size(object.spec.externalIPs) > 0",
        },
      ],
      validations: [
        {
          expression: `${envoyUser} || (request.operation == "UPDATE" && has(oldObject.spec.externalIPs) && oldObject.spec.externalIPs == object.spec.externalIPs)`,
          reason: "Forbidden",
          messageExpression: `"Service " + ${who} + ": spec.externalIPs may be set only by Envoy Gateway (" + ${param(POLICY_PARAMS.envoyGateway)} + ") on the Services it makes for Gateways; an external IP takes traffic for an address nobody allocated (CVE-2020-8554). Ask for a load-balancer address instead (metallb.io/loadBalancerIPs, from a namespace labelled ${askLabel}), or give a Gateway spec.addresses"`,
          message:
            "spec.externalIPs may be set only by Envoy Gateway on the Services it makes for Gateways (CVE-2020-8554); ask for a load-balancer address instead",
        },
      ],
    },
  },
  {
    name: "metallb-ts-address-requests",
    params: { kind: "ConfigMap" },
    spec: {
      failurePolicy: "Fail",
      paramKind: configMapParams,
      matchConstraints: services(),
      variables: [
        ann,
        oldAnn,
        {
          name: "asks",
          expression: `${list([...IPS_KEYS, ...POOL_KEYS])}.filter(k, k in variables.ann && variables.ann[k] != "") + (has(object.spec.loadBalancerIP) && object.spec.loadBalancerIP != "" ? ["spec.loadBalancerIP"] : [])`,
        },
        allowedNamespace,
        {
          name: "unchanged",
          expression:
            'request.operation == "UPDATE" && variables.asks.all(k, k == "spec.loadBalancerIP" ? has(oldObject.spec.loadBalancerIP) && oldObject.spec.loadBalancerIP == object.spec.loadBalancerIP : k in variables.oldAnn && variables.oldAnn[k] == variables.ann[k])',
        },
      ],
      validations: [
        {
          expression: `size(variables.asks) == 0 || variables.allowedNamespace || ${envoyUser} || variables.unchanged`,
          reason: "Forbidden",
          messageExpression: `"Service " + ${who} + " asks for specific load-balancer addresses or a pool (" + variables.asks.join(", ") + "); only namespaces labelled ${askLabel} may. Ask a cluster administrator to label namespace " + request.namespace + ", or drop the request to take the next free address"`,
          message: `only namespaces labelled ${askLabel} may ask for specific load-balancer addresses or a pool`,
        },
      ],
    },
  },
  {
    name: "metallb-ts-reserved-services",
    params: reservations,
    spec: {
      failurePolicy: "Fail",
      paramKind: reservationParams,
      matchConstraints: services(),
      variables: [
        ann,
        {
          name: "requested",
          expression: [
            ...IPS_KEYS.map(
              (k) => `(${q(k)} in variables.ann ? variables.ann[${q(k)}].split(",").map(a, a.trim()) : [])`,
            ),
            "(has(object.spec.loadBalancerIP) ? [object.spec.loadBalancerIP] : [])",
            "(has(object.spec.externalIPs) ? object.spec.externalIPs : [])",
          ].join(" + "),
        },
        { name: "taken", expression: takenFrom("variables.requested") },
        { name: "selectors", expression: selectors },
        {
          name: "ours",
          expression:
            "has(params.spec.serviceAllocation) && has(params.spec.serviceAllocation.namespaces) && request.namespace in params.spec.serviceAllocation.namespaces && variables.selectors.exists(s, s.matchLabels.all(k, has(object.metadata.labels) && k in object.metadata.labels && object.metadata.labels[k] == s.matchLabels[k]))",
        },
      ],
      validations: [
        {
          expression: "size(variables.taken) == 0 || variables.ours",
          reason: "Forbidden",
          messageExpression: `"Service " + ${who} + " asks for a reserved address: " + ${reservationText} + ", whose Service Envoy Gateway makes. Take another address, or give that Gateway's Service its own"`,
          message: "the Service asks for an address reserved for a Gateway",
        },
      ],
    },
  },
  {
    name: "metallb-ts-reserved-gateways",
    params: reservations,
    spec: {
      failurePolicy: "Fail",
      paramKind: reservationParams,
      matchConstraints: gateways,
      variables: [
        {
          name: "requested",
          expression:
            'has(object.spec.addresses) ? object.spec.addresses.filter(a, !has(a.type) || a.type == "IPAddress").map(a, a.value) : []',
        },
        { name: "taken", expression: takenFrom("variables.requested") },
        { name: "selectors", expression: selectors },
        {
          name: "ours",
          expression: `variables.selectors.exists(s, ${q(ENVOY_GATEWAY_LABEL.name)} in s.matchLabels && s.matchLabels[${q(ENVOY_GATEWAY_LABEL.name)}] == object.metadata.name && ${q(ENVOY_GATEWAY_LABEL.namespace)} in s.matchLabels && s.matchLabels[${q(ENVOY_GATEWAY_LABEL.namespace)}] == request.namespace)`,
        },
      ],
      validations: [
        {
          expression: "size(variables.taken) == 0 || variables.ours",
          reason: "Forbidden",
          messageExpression: `"Gateway " + ${who} + " asks for a reserved address in spec.addresses: " + ${reservationText} + ". Take another address"`,
          message: "the Gateway asks for an address reserved for another Gateway",
        },
      ],
    },
  },
  {
    name: "metallb-ts-controller-annotations",
    params: { kind: "ConfigMap" },
    spec: {
      failurePolicy: "Fail",
      paramKind: configMapParams,
      matchConstraints: services(),
      variables: [ann, oldAnn],
      matchConditions: [
        {
          name: "carries-controller-annotation",
          expression: `has(object.metadata.annotations) && ${list(OWNED_KEYS)}.exists(k, k in object.metadata.annotations)`,
        },
      ],
      validations: [
        {
          expression: `request.userInfo.username == ${param(POLICY_PARAMS.controller)} || ${list(OWNED_KEYS)}.all(k, !(k in variables.ann) || (k in variables.oldAnn && variables.oldAnn[k] == variables.ann[k]))`,
          reason: "Forbidden",
          messageExpression: `"Service " + ${who} + ": ${ANNOTATION.allocatedFromPool} records the pool the controller took the address from; only the metallb-ts controller (" + ${param(POLICY_PARAMS.controller)} + ") writes it. Remove it from the manifest: the controller sets it"`,
          message: `only the metallb-ts controller writes ${ANNOTATION.allocatedFromPool}`,
        },
      ],
    },
  },
  {
    name: "metallb-ts-gateway-addresses",
    params: { kind: "ConfigMap" },
    spec: {
      failurePolicy: "Fail",
      paramKind: configMapParams,
      matchConstraints: gateways,
      matchConditions: [
        {
          name: "sets-addresses",
          expression: "has(object.spec.addresses) && size(object.spec.addresses) > 0",
        },
      ],
      variables: [allowedNamespace],
      validations: [
        {
          expression:
            'variables.allowedNamespace || (request.operation == "UPDATE" && has(oldObject.spec.addresses) && oldObject.spec.addresses == object.spec.addresses)',
          reason: "Forbidden",
          messageExpression: `"Gateway " + ${who} + " asks for specific addresses (spec.addresses); only namespaces labelled ${askLabel} may. Ask a cluster administrator to label namespace " + request.namespace + ", or drop spec.addresses to take the next free address (or the Gateway's reserved one)"`,
          message: `only namespaces labelled ${askLabel} may set a Gateway's spec.addresses`,
        },
      ],
    },
  },
];
