// The embedded lab's network as data: three Kubernetes nodes, an FRR router and a client on one
// bridge, documentation addresses only (docs/testing.md), private ASNs.
import type { ClusterNode } from "../cluster.js";
import type { BgpRouterSpec, Topology } from "../net/index.js";

export const RUNTIME_NS = "metallb-system";
/**
 * The cluster of clusters.yaml the lab is: Flux applies overlays/lab/services/metallb, whose
 * override declares the pools, the L2 advertisement and the BGP peer below.
 */
export const LAB_CLUSTER = "lab";
export const DEMO_NS = "demo";

export type LabNode = Required<ClusterNode>;

export const NODES: LabNode[] = [11, 12, 13].map((n, i) => ({
  name: `node${i + 1}`,
  ipv4: `192.0.2.${n}`,
  ipv6: `2001:db8::${n}`,
}));

export const ROUTER = { host: "router", ipv4: "192.0.2.1", ipv6: "2001:db8::1", asn: 64512 };
export const CLIENT = { host: "client", ipv4: "192.0.2.2", ipv6: "2001:db8::2" };
/** The nodes' ASN: eBGP to the router, so FRR installs every node's path (ECMP). */
export const NODE_ASN = 64513;

const host = (name: string, ipv4: string, ipv6: string) => ({
  name,
  links: [{ segment: "lan", addresses: [`${ipv4}/24`, `${ipv6}/64`] }],
});

/** The hosts beside the nodes on the lab's segment. */
export const NEIGHBOURS: Topology["hosts"] = [
  host(ROUTER.host, ROUTER.ipv4, ROUTER.ipv6),
  host(CLIENT.host, CLIENT.ipv4, CLIENT.ipv6),
];

/** FRR accepts every node over one IPv4 session carrying IPv4 and IPv6 (MP-BGP). */
export const ROUTER_SPEC: BgpRouterSpec = {
  host: ROUTER.host,
  asn: ROUTER.asn,
  routerId: ROUTER.ipv4,
  neighbors: NODES.map((n) => ({ address: n.ipv4, asn: NODE_ASN, families: [4, 6] })),
  maximumPaths: NODES.length,
};
