// The workloads the lab creates once Flux has installed metallb-ts: Services using the two pools
// of overlays/lab/services/metallb/override-values.yaml — one answered on the LAN (ARP/NDP), one
// announced to the router (BGP) — each with an EndpointSlice per family, as a Deployment's would be.
import type { KubernetesObject } from "@kubernetes/client-node";
import { DEMO_NS, NODES } from "./layout.js";

/** Pool names as the lab cluster's override declares them. */
export const L2_POOL = "lan";
export const BGP_POOL = "routed";

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
