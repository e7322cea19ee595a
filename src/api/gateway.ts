// The Gateway-facing half of the contract: how a reserved Gateway address is declared on the
// metallb.io objects, and the labels by which Envoy Gateway marks the Services it generates.

/**
 * On an IPAddressPool: it is a reservation carved out of the named pool. Its addresses leave
 * that pool (never auto-assigned from it, never requested through it), it is announced wherever
 * that pool is, and its serviceAllocation says who may hold them.
 */
export const RESERVED_FROM_LABEL = "metallb-ts.io/reserved-from";

/** The labels Envoy Gateway puts on a Gateway's generated Service (stable across re-creation). */
export const ENVOY_GATEWAY_LABEL = {
  name: "gateway.envoyproxy.io/owning-gateway-name",
  namespace: "gateway.envoyproxy.io/owning-gateway-namespace",
} as const;

/** Where Envoy Gateway creates its Services unless configured otherwise. */
export const ENVOY_GATEWAY_NAMESPACE = "envoy-gateway-system";
