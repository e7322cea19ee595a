// What one node announces to each of its BGP peers (pure): from the Services with addresses, the
// parsed configuration and the node's facts. Sessions receive the difference between two results
// of this function.
import { parseIp, prefixOf, type Family } from "../../api/formats/ip.js";
import { matchesAny } from "../../api/formats/label-selector.js";
import {
  orderProblems,
  overlapping,
  problem,
  type BgpAdvertisement,
  type Config,
  type Problem,
} from "../../model/index.js";
import { nodeExclusion, type NodeFacts } from "./node-eligibility.js";

export interface BgpService {
  key: string;
  ips: string[];
  pool: string;
  trafficPolicy: "Cluster" | "Local";
  /** Nodes with at least one ready endpoint of the Service. */
  readyNodes: readonly string[];
}

export interface DesiredInput {
  node: NodeFacts;
  services: readonly BgpService[];
  config: Pick<Config, "bgpAdvertisements" | "peers">;
}

export interface DesiredRoute {
  /** Canonical "address/length". */
  prefix: string;
  family: Family;
  /** Only for iBGP peers. */
  localPref?: number;
  /** "asn:value", sorted, unique. */
  communities: string[];
  /** "global:local1:local2", sorted, unique. */
  largeCommunities: string[];
  /** Keys of the Services behind the prefix. */
  services: string[];
}

export interface Desired {
  /** By BGPPeer name: the peers this node has, each with its routes sorted by prefix. */
  routes: Map<string, DesiredRoute[]>;
  /** What only the routes reveal (conflicting localPrefs); the rest is the model's. */
  problems: Problem[];
}

type Building = DesiredRoute & { prefFrom?: BgpAdvertisement };

/** Merges one advertisement's attributes into the route for a prefix. */
function merge(
  route: Building,
  adv: BgpAdvertisement,
  svcKey: string,
  ibgp: boolean,
  peer: string,
  problems: Problem[],
): void {
  route.communities = uniqueSorted([...route.communities, ...adv.communities]);
  route.largeCommunities = uniqueSorted([...route.largeCommunities, ...adv.largeCommunities]);
  route.services = uniqueSorted([...route.services, svcKey]);
  const pref = adv.localPref;
  if (!ibgp || pref === undefined) return;
  if (route.localPref === undefined) {
    route.localPref = pref;
    route.prefFrom = adv;
  } else if (
    route.localPref !== pref &&
    route.prefFrom &&
    route.prefFrom !== adv &&
    // Advertisements of one pool and peer conflict whatever the Services: the model says so.
    !overlapping(route.prefFrom, adv)
  ) {
    problems.push(
      problem(
        "BGPAdvertisement",
        adv.name,
        ["spec", "localPref"],
        `localPref ${pref} conflicts with ${route.localPref} from BGPAdvertisement ` +
          `${route.prefFrom.name} for ${route.prefix} to peer ${peer}`,
        `${route.localPref} is used`,
      ),
    );
  }
}

export function desiredRoutes(input: DesiredInput): Desired {
  const { node, config } = input;
  const problems: Problem[] = [];
  const routes = new Map<string, DesiredRoute[]>();
  // The model orders peers and advertisements by name, so the advertisement that wins a
  // localPref conflict does not depend on the order objects arrived in.
  const myPeers = config.peers.filter((p) => matchesAny(p.nodeSelectors, node.labels));
  for (const p of myPeers) routes.set(p.name, []);
  // An excluded node keeps its sessions (so peers see it up) but announces nothing.
  if (nodeExclusion(node, new Set([node.name]))) return { routes, problems };

  const building = new Map<string, Map<string, Building>>();
  for (const svc of input.services) {
    if (!svc.readyNodes.length) continue;
    if (svc.trafficPolicy === "Local" && !svc.readyNodes.includes(node.name)) continue;
    for (const adv of config.bgpAdvertisements) {
      if (!adv.pools.has(svc.pool) || !matchesAny(adv.nodeSelectors, node.labels)) continue;
      for (const peer of myPeers) {
        if (adv.peers && !adv.peers.includes(peer.name)) continue;
        const table = building.get(peer.name) ?? new Map<string, Building>();
        building.set(peer.name, table);
        for (const text of svc.ips) {
          const ip = parseIp(text);
          if (!ip) continue;
          const len = ip.family === 4 ? adv.aggregationLength : adv.aggregationLengthV6;
          const prefix = prefixOf(ip, len);
          const route = table.get(prefix) ?? {
            prefix,
            family: ip.family,
            communities: [],
            largeCommunities: [],
            services: [],
          };
          table.set(prefix, route);
          merge(route, adv, svc.key, !peer.ebgp, peer.name, problems);
        }
      }
    }
  }
  for (const [peer, table] of building)
    routes.set(
      peer,
      [...table.values()]
        .map(({ prefFrom: _, ...r }) => r)
        .sort((a, b) => (a.prefix < b.prefix ? -1 : 1)),
    );
  return { routes, problems: orderProblems(problems) };
}

const uniqueSorted = (xs: string[]): string[] => [...new Set(xs)].sort();
