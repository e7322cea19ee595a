// Kubernetes objects → the inputs of the speaker's pure decisions (L2 owner election, BGP
// desired routes). Pure: the shell hands in what its informers hold.
import type { V1EndpointSlice, V1Node, V1Service } from "@kubernetes/client-node";
import type { BGPAdvertisementSpec } from "../../api/kinds/bgpadvertisement.js";
import type { BGPPeerSpec } from "../../api/kinds/bgppeer.js";
import type { CommunitySpec } from "../../api/kinds/community.js";
import type { IPAddressPoolSpec } from "../../api/kinds/ipaddresspool.js";
import type { L2AdvertisementSpec } from "../../api/kinds/l2advertisement.js";
import { ANNOTATION, isOurs, serviceKey } from "../controller/service-request.js";
import { canonicalIp } from "../../api/formats/ip.js";
import type { BgpService, DesiredInput, Named, PoolFacts } from "./desired-routes.js";
import type { ElectionInput, L2Service, NodeFacts } from "./l2-election.js";

/** A metallb.io object as the informers hold it. */
export interface ConfigObject<S> {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec: S;
}

export interface ClusterSnapshot {
  nodes: readonly V1Node[];
  services: readonly V1Service[];
  endpointSlices: readonly V1EndpointSlice[];
  pools: readonly ConfigObject<IPAddressPoolSpec>[];
  l2Advertisements: readonly ConfigObject<L2AdvertisementSpec>[];
  bgpAdvertisements: readonly ConfigObject<BGPAdvertisementSpec>[];
  bgpPeers: readonly ConfigObject<BGPPeerSpec>[];
  communities: readonly ConfigObject<CommunitySpec>[];
  /** The loadBalancerClass served (as the controller's --lb-class). */
  lbClass?: string;
}

export function nodeFacts(node: V1Node): NodeFacts {
  return {
    name: node.metadata?.name ?? "",
    labels: node.metadata?.labels ?? {},
    networkUnavailable: (node.status?.conditions ?? []).some(
      (c) => c.type === "NetworkUnavailable" && c.status === "True",
    ),
  };
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/**
 * Nodes with a ready endpoint, by Service key. An endpoint whose `ready` is unset counts as
 * ready, as the EndpointSlice API documents; terminating endpoints never count.
 */
export function readyNodesByService(slices: readonly V1EndpointSlice[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const slice of slices) {
    const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!name) continue;
    const key = `${slice.metadata?.namespace}/${name}`;
    const nodes = out.get(key) ?? new Set<string>();
    out.set(key, nodes);
    for (const ep of slice.endpoints)
      if (ep.nodeName && ep.conditions?.ready !== false && ep.conditions?.terminating !== true)
        nodes.add(ep.nodeName);
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

interface Announceable {
  key: string;
  ips: string[];
  pool: string;
  trafficPolicy: "Cluster" | "Local";
  readyNodes: string[];
}

/** The LoadBalancer Services of our class that the controller has given addresses. */
function announceable(snap: ClusterSnapshot): Announceable[] {
  const ready = readyNodesByService(snap.endpointSlices);
  const out: Announceable[] = [];
  for (const svc of snap.services) {
    if (isOurs(svc, snap.lbClass)) continue;
    const ips = (svc.status?.loadBalancer?.ingress ?? [])
      .map((i) => canonicalIp(i.ip ?? ""))
      .filter((ip): ip is string => ip !== undefined);
    const pool = svc.metadata?.annotations?.[ANNOTATION.allocatedFromPool];
    if (!ips.length || !pool) continue;
    const key = serviceKey(svc);
    out.push({
      key,
      ips,
      pool,
      trafficPolicy: svc.spec?.externalTrafficPolicy === "Local" ? "Local" : "Cluster",
      readyNodes: ready.get(key) ?? [],
    });
  }
  return out;
}

const named = <S>(objs: readonly ConfigObject<S>[]): Named<S>[] =>
  objs.map((o) => ({ name: o.metadata?.name ?? "", spec: o.spec }));

function poolFacts(snap: ClusterSnapshot): PoolFacts[] {
  return snap.pools.map((p) => ({
    name: p.metadata?.name ?? "",
    labels: p.metadata?.labels ?? {},
    addresses: p.spec.addresses,
  }));
}

export function electionInput(snap: ClusterSnapshot, live: ReadonlySet<string>): ElectionInput {
  const poolLabels = new Map(poolFacts(snap).map((p) => [p.name, p.labels]));
  const services: L2Service[] = announceable(snap).map((s) => ({
    ...s,
    poolLabels: poolLabels.get(s.pool) ?? {},
  }));
  return {
    nodes: snap.nodes.map(nodeFacts),
    live,
    services,
    advertisements: named(snap.l2Advertisements),
  };
}

/** The BGP input for one node; undefined when the node is not (yet) in the snapshot. */
export function desiredInput(snap: ClusterSnapshot, nodeName: string): DesiredInput | undefined {
  const node = snap.nodes.find((n) => n.metadata?.name === nodeName);
  if (!node) return undefined;
  const services: BgpService[] = announceable(snap);
  return {
    node: nodeFacts(node),
    services,
    pools: poolFacts(snap),
    advertisements: named(snap.bgpAdvertisements),
    peers: named(snap.bgpPeers),
    communities: named(snap.communities),
  };
}
