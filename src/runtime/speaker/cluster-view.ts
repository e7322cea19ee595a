// Kubernetes objects → the inputs of the speaker's pure decisions (L2 owner election, BGP
// desired routes). Pure: the shell hands in what its informers hold.
import type { V1EndpointSlice, V1Node, V1Service } from "@kubernetes/client-node";
import type { BFDProfileSpec } from "../../api/kinds/bfdprofile.js";
import type { BGPAdvertisementSpec } from "../../api/kinds/bgpadvertisement.js";
import type { BGPPeerSpec } from "../../api/kinds/bgppeer.js";
import type { CommunitySpec } from "../../api/kinds/community.js";
import type { IPAddressPoolSpec } from "../../api/kinds/ipaddresspool.js";
import type { L2AdvertisementSpec } from "../../api/kinds/l2advertisement.js";
import { canonicalIp, parseIp } from "../../api/formats/ip.js";
import { REASON } from "../../api/reasons.js";
import { ANNOTATION, SERVICE_NAME_LABEL } from "../../api/service.js";
import {
  comparePools,
  notOurs,
  parseConfig,
  poolContains,
  serviceKey,
  type Config,
  type Pool,
  type Resource,
} from "../../model/index.js";
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
    // The API server sends `endpoints: null` for a slice with none (a Service whose selector
    // matches no Pod yet), whatever the type says.
    for (const ep of slice.endpoints ?? [])
      if (ep.nodeName && ep.conditions?.ready !== false && ep.conditions?.terminating !== true)
        nodes.add(ep.nodeName);
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

/** Why an address of a Service is not announced. */
export interface AddressProblem {
  service: string;
  ip: string;
  reason: typeof REASON.addressNotInPool | typeof REASON.poolAnnotationMismatch;
  message: string;
}

export interface Announceable {
  services: BgpService[];
  problems: AddressProblem[];
}

/**
 * The LoadBalancer Services of our class that the controller has given addresses, one entry per
 * (Service, pool). Each address's pool is the pool that contains it, as upstream decides — never
 * the ip-allocated-from-pool annotation, which the Service's owner can edit: re-pointing it at
 * another pool must not lend the address that pool's peers, communities or nodes.
 */
export function announceable(snap: ClusterSnapshot, config: Config): Announceable {
  const ready = readyNodesByService(snap.endpointSlices);
  const services: BgpService[] = [];
  const problems: AddressProblem[] = [];
  const ordered = [...config.pools].sort(comparePools);
  for (const svc of snap.services) {
    if (notOurs(svc, snap.lbClass)) continue;
    const ips = (svc.status?.loadBalancer?.ingress ?? [])
      .map((i) => canonicalIp(i.ip ?? ""))
      .filter((ip): ip is string => ip !== undefined);
    if (!ips.length) continue;
    const key = serviceKey(svc);
    const annotated = svc.metadata?.annotations?.[ANNOTATION.allocatedFromPool];
    const byPool = new Map<string, string[]>();
    for (const ip of ips) {
      const pool = poolOf(ordered, ip);
      if (!pool) {
        problems.push({
          service: key,
          ip,
          reason: REASON.addressNotInPool,
          message: `${ip} is in no IPAddressPool: not announced until a pool contains it again`,
        });
        continue;
      }
      // Announcing nothing (rather than announcing as the containing pool) keeps a tampered
      // Service from being announced at all until the controller restores the annotation: only
      // the Service whose annotation was edited is affected, and the edit shows.
      if (annotated !== undefined && annotated !== pool) {
        problems.push({
          service: key,
          ip,
          reason: REASON.poolAnnotationMismatch,
          message:
            `annotation ${ANNOTATION.allocatedFromPool} says "${annotated}", but ${ip} is in pool ` +
            `${pool}: not announced until the annotation names ${pool} again (the controller ` +
            `restores it; the annotation is the controller's, not the Service owner's)`,
        });
        continue;
      }
      byPool.set(pool, [...(byPool.get(pool) ?? []), ip]);
    }
    for (const [pool, poolIps] of byPool)
      services.push({
        key,
        ips: poolIps,
        pool,
        trafficPolicy: svc.spec?.externalTrafficPolicy === "Local" ? "Local" : "Cluster",
        readyNodes: ready.get(key) ?? [],
      });
  }
  return { services, problems };
}

/** The pool an address belongs to: the first that contains it, in the allocator's pool order. */
function poolOf(ordered: readonly Pool[], text: string): string | undefined {
  const ip = parseIp(text);
  return ip ? ordered.find((p) => poolContains(p, ip))?.name : undefined;
}

export function electionInput(
  snap: ClusterSnapshot,
  config: Config,
  live: ReadonlySet<string>,
  services: readonly L2Service[] = announceable(snap, config).services,
): ElectionInput {
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
  services: readonly BgpService[] = announceable(snap, config).services,
): DesiredInput | undefined {
  const node = snap.nodes.find((n) => n.metadata?.name === nodeName);
  if (!node) return undefined;
  return { node: nodeFacts(node), services, config };
}
