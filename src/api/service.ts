// The Service-facing half of the compatibility contract: the annotations users write and the
// controller writes back, and the node label that keeps a node from announcing — upstream
// MetalLB's names, so existing manifests keep working.

/** Service annotations (current names). */
export const ANNOTATION = {
  loadBalancerIPs: "metallb.io/loadBalancerIPs",
  addressPool: "metallb.io/address-pool",
  allowSharedIp: "metallb.io/allow-shared-ip",
  /** Written by the controller: the pool the Service's addresses come from. */
  allocatedFromPool: "metallb.io/ip-allocated-from-pool",
} as const;

/** The pre-0.13 prefix; still honoured, with a deprecatedAnnotation Warning event. */
export const DEPRECATED_ANNOTATION_PREFIX = "metallb.universe.tf/";

/** A node carrying this label (any value) never announces. */
export const EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

/** EndpointSlice label naming the Service a slice belongs to. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/**
 * Service status condition the controller writes on a Gateway's Service (one whose request comes
 * from the Gateway's spec.addresses): True with the addresses, False with why not. Envoy Gateway
 * reports such a Gateway Programmed with the address either way; this says whether it is served.
 */
export const ADDRESSES_CONDITION = "metallb.io/AddressesAssigned";
