// The configuration the lab applies once it is up: what a user would write for a small cluster.
// One pool answered on the LAN (ARP/NDP), one announced to the router (BGP), and Services using
// them. Plain objects, applied as they are, so `kubectl get -o yaml` shows the same thing.
import type { KubernetesObject } from "@kubernetes/client-node";
import { DEMO_NS, NODE_ASN, NODES, ROUTER, RUNTIME_NS } from "./layout.js";

export const L2_POOL = "lan";
export const BGP_POOL = "routed";
export const BGP_PEER = "router";

export type Announcement = "l2" | "bgp";

/** A manifest: the generic object fields plus its kind's own (spec, endpoints, …). */
export type Manifest = KubernetesObject & Record<string, unknown>;

export interface DemoService {
  name: string;
  pool: string;
  families: ("IPv4" | "IPv6")[];
  announcement: Announcement;
}

export const DEMO_SERVICES: DemoService[] = [
  { name: "web", pool: L2_POOL, families: ["IPv4", "IPv6"], announcement: "l2" },
  { name: "shop", pool: L2_POOL, families: ["IPv4"], announcement: "l2" },
  { name: "api", pool: BGP_POOL, families: ["IPv4", "IPv6"], announcement: "bgp" },
];

const metallb = (kind: string, name: string, spec: object): Manifest => ({
  apiVersion: kind === "BGPPeer" ? "metallb.io/v1beta2" : "metallb.io/v1beta1",
  kind,
  metadata: { name, namespace: RUNTIME_NS },
  spec,
});

export function configObjects(): Manifest[] {
  return [
    metallb("IPAddressPool", L2_POOL, {
      addresses: ["192.0.2.200-192.0.2.219", "2001:db8::c8-2001:db8::db"],
    }),
    metallb("L2Advertisement", L2_POOL, { ipAddressPools: [L2_POOL] }),
    // Requested by name only, so a Service without the annotation never lands on the router.
    metallb("IPAddressPool", BGP_POOL, {
      addresses: ["203.0.113.10-203.0.113.19", "2001:db8:1::a-2001:db8:1::13"],
      autoAssign: false,
    }),
    metallb("BGPPeer", BGP_PEER, {
      myASN: NODE_ASN,
      peerASN: ROUTER.asn,
      peerAddress: ROUTER.ipv4,
      holdTime: "9s",
      connectTime: "2s",
    }),
    metallb("BGPAdvertisement", BGP_POOL, { ipAddressPools: [BGP_POOL], peers: [BGP_PEER] }),
  ];
}

/** Endpoint addresses stand in for pods on the first node; nothing listens on them. */
const ENDPOINT = { IPv4: "192.0.2.50", IPv6: "2001:db8::50" };

export function serviceObjects(): Manifest[] {
  return DEMO_SERVICES.flatMap((s) => [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: s.name,
        namespace: DEMO_NS,
        annotations: { "metallb.io/address-pool": s.pool },
      },
      spec: {
        type: "LoadBalancer",
        ipFamilies: s.families,
        ipFamilyPolicy: s.families.length > 1 ? "RequireDualStack" : "SingleStack",
        ports: [{ port: 80, protocol: "TCP" }],
        selector: { app: s.name },
      },
    },
    ...s.families.map((family) => ({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `${s.name}-${family.toLowerCase()}`,
        namespace: DEMO_NS,
        labels: { "kubernetes.io/service-name": s.name },
      },
      addressType: family,
      endpoints: [
        {
          addresses: [ENDPOINT[family]],
          nodeName: NODES[0]!.name,
          conditions: { ready: true },
        },
      ],
      ports: [{ port: 80, protocol: "TCP" }],
    })),
  ]);
}
