// Kubernetes objects → the inputs of the speaker's pure decisions (L2 owner election, BGP
// desired routes). Pure: the shell hands in what its informers hold.
import type { V1EndpointSlice, V1Node, V1Service } from "@kubernetes/client-node";
import type { BFDProfileSpec } from "../../api/kinds/bfdprofile.js";
import type { BGPAdvertisementSpec } from "../../api/kinds/bgpadvertisement.js";
import type { BGPPeerSpec } from "../../api/kinds/bgppeer.js";
import type { CommunitySpec } from "../../api/kinds/community.js";
import type { IPAddressPoolSpec } from "../../api/kinds/ipaddresspool.js";
import type { L2AdvertisementSpec } from "../../api/kinds/l2advertisement.js";
import { canonicalIp } from "../../api/formats/ip.js";
import { ANNOTATION, SERVICE_NAME_LABEL } from "../../api/service.js";
import { parseConfig, type Config, type Resource } from "../../model/index.js";
import { notOurs, serviceKey } from "../../model/index.js";
import type { BgpService, DesiredInput } from "./desired-routes.js";
import type { ElectionInput, L2Service } from "./l2-election.js";
import { nodeFacts } from "./node-eligibility.js";

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
  bfdProfiles?: readonly ConfigObject<BFDProfileSpec>[];
  /** The loadBalancerClass served (as the controller's --lb-class). */
  lbClass?: string;
}

const resources = <S>(objs: readonly ConfigObject<S>[] | undefined): Resource<S>[] =>
  (objs ?? []).map((o) => ({
    name: o.metadata?.name ?? "",
    ...(o.metadata?.labels ? { labels: o.metadata.labels } : {}),
    spec: o.spec,
  }));

/** The snapshot's configuration, parsed once per pass. */
export function configOf(snap: ClusterSnapshot, namespace: string): Config {
  return parseConfig(
    {
      pools: resources(snap.pools),
      l2Advertisements: resources(snap.l2Advertisements),
      bgpAdvertisements: resources(snap.bgpAdvertisements),
      bgpPeers: resources(snap.bgpPeers),
      communities: resources(snap.communities),
      bfdProfiles: resources(snap.bfdProfiles),
    },
    { namespace },
  );
}

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

/** The LoadBalancer Services of our class that the controller has given addresses. */
function announceable(snap: ClusterSnapshot): BgpService[] {
  const ready = readyNodesByService(snap.endpointSlices);
  const out: BgpService[] = [];
  for (const svc of snap.services) {
    if (notOurs(svc, snap.lbClass)) continue;
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

export function electionInput(
  snap: ClusterSnapshot,
  config: Config,
  live: ReadonlySet<string>,
): ElectionInput {
  const services: L2Service[] = announceable(snap);
  return {
    nodes: snap.nodes.map(nodeFacts),
    live,
    services,
    advertisements: config.l2Advertisements,
  };
}

/** The BGP input for one node; undefined when the node is not (yet) in the snapshot. */
export function desiredInput(
  snap: ClusterSnapshot,
  config: Config,
  nodeName: string,
): DesiredInput | undefined {
  const node = snap.nodes.find((n) => n.metadata?.name === nodeName);
  if (!node) return undefined;
  return { node: nodeFacts(node), services: announceable(snap), config };
}
