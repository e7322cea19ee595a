// What one node announces to each of its BGP peers (pure): from Services, pools,
// BGPAdvertisements, Community aliases, BGPPeers and the node's facts. Sessions receive the
// difference between two results of this function.
import type { BGPAdvertisementSpec } from "../../api/kinds/bgpadvertisement.js";
import type { BGPPeerSpec } from "../../api/kinds/bgppeer.js";
import type { CommunitySpec } from "../../api/kinds/community.js";
import {
  cidrLengthsOf,
  parseIp,
  parsePoolEntry,
  prefixOf,
  type Family,
} from "../../api/formats/ip.js";
import { matchesAny, type Labels } from "../../api/formats/label-selector.js";
import { nodeExclusion, type NodeFacts } from "./l2-election.js";

export interface BgpService {
  key: string;
  ips: string[];
  pool: string;
  trafficPolicy: "Cluster" | "Local";
  /** Nodes with at least one ready endpoint of the Service. */
  readyNodes: readonly string[];
}

export interface PoolFacts {
  name: string;
  labels: Labels;
  addresses: string[];
}

export interface Named<S> {
  name: string;
  spec: S;
}

export interface DesiredInput {
  node: NodeFacts;
  services: readonly BgpService[];
  pools: readonly PoolFacts[];
  advertisements: readonly Named<BGPAdvertisementSpec>[];
  peers: readonly Named<BGPPeerSpec>[];
  communities: readonly Named<CommunitySpec>[];
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

export interface Problem {
  kind: "BGPAdvertisement" | "BGPPeer";
  name: string;
  message: string;
}

export interface Desired {
  /** By BGPPeer name: the peers this node has, each with its routes sorted by prefix. */
  routes: Map<string, DesiredRoute[]>;
  problems: Problem[];
}

type Building = DesiredRoute & { prefFrom?: string };

const selectsPool = (spec: BGPAdvertisementSpec, pool: PoolFacts | undefined): boolean => {
  if (!spec.ipAddressPools?.length && !spec.ipAddressPoolSelectors?.length) return true;
  if (!pool) return false;
  return (
    (spec.ipAddressPools ?? []).includes(pool.name) ||
    (!!spec.ipAddressPoolSelectors?.length && matchesAny(spec.ipAddressPoolSelectors, pool.labels))
  );
};

/** Resolves Community aliases; unknown names become problems. */
function resolveCommunities(
  adv: Named<BGPAdvertisementSpec>,
  aliases: Map<string, string>,
  problems: Problem[],
): { standard: string[]; large: string[] } {
  const standard: string[] = [];
  const large: string[] = [];
  for (const ref of adv.spec.communities ?? []) {
    const value = ref.includes(":") ? ref : aliases.get(ref);
    if (value === undefined) {
      problems.push({
        kind: "BGPAdvertisement",
        name: adv.name,
        message: `community alias "${ref}" is defined in no Community object; define it or use the value`,
      });
      continue;
    }
    if (value.startsWith("large:")) large.push(value.slice("large:".length));
    else standard.push(value);
  }
  return { standard, large };
}

/** Aggregation may not reach beyond the pool: the prefix would attract foreign addresses. */
function aggregationProblems(adv: Named<BGPAdvertisementSpec>, pools: PoolFacts[]): Problem[] {
  const out: Problem[] = [];
  for (const pool of pools)
    for (const entry of pool.addresses) {
      const r = parsePoolEntry(entry);
      if (typeof r === "string") continue;
      const agg = r.family === 4 ? adv.spec.aggregationLength : adv.spec.aggregationLengthV6;
      if (agg === undefined) continue;
      const longest = Math.max(...cidrLengthsOf(r));
      if (agg < longest)
        out.push({
          kind: "BGPAdvertisement",
          name: adv.name,
          message:
            `aggregationLength${r.family === 6 ? "V6" : ""} ${agg} is shorter than /${longest} ` +
            `in pool ${pool.name} (${entry}): the aggregate would cover addresses outside the ` +
            `pool; use ${longest} or more`,
        });
    }
  return out;
}

/** Merges one advertisement's attributes into the route for a prefix. */
function merge(
  route: Building,
  adv: Named<BGPAdvertisementSpec>,
  attrs: { standard: string[]; large: string[] },
  svcKey: string,
  ibgp: boolean,
  peer: string,
  problems: Problem[],
): void {
  route.communities = uniqueSorted([...route.communities, ...attrs.standard]);
  route.largeCommunities = uniqueSorted([...route.largeCommunities, ...attrs.large]);
  route.services = uniqueSorted([...route.services, svcKey]);
  const pref = adv.spec.localPref;
  if (!ibgp || pref === undefined) return;
  if (route.localPref === undefined) {
    route.localPref = pref;
    route.prefFrom = adv.name;
  } else if (route.localPref !== pref && route.prefFrom !== adv.name) {
    problems.push({
      kind: "BGPAdvertisement",
      name: adv.name,
      message:
        `localPref ${pref} conflicts with ${route.localPref} from BGPAdvertisement ` +
        `${route.prefFrom} for ${route.prefix} to peer ${peer}; ${route.localPref} is used`,
    });
  }
}

export function desiredRoutes(input: DesiredInput): Desired {
  const { node } = input;
  const problems: Problem[] = [];
  const routes = new Map<string, DesiredRoute[]>();
  const myPeers = [...input.peers]
    .filter((p) => matchesAny(p.spec.nodeSelectors, node.labels))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const p of myPeers) routes.set(p.name, []);
  // An excluded node keeps its sessions (so peers see it up) but announces nothing.
  if (nodeExclusion(node, new Set([node.name]))) return { routes, problems };

  const aliases = new Map(
    input.communities.flatMap((c) => (c.spec.communities ?? []).map((a) => [a.name, a.value])),
  );
  const pools = new Map(input.pools.map((p) => [p.name, p]));
  // Sorted, so that the advertisement that wins a localPref conflict does not depend on order.
  const advs = [...input.advertisements].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const adv of advs)
    problems.push(
      ...aggregationProblems(
        adv,
        input.pools.filter((p) => selectsPool(adv.spec, p)),
      ),
    );
  const attrs = new Map(advs.map((a) => [a.name, resolveCommunities(a, aliases, problems)]));

  const building = new Map<string, Map<string, Building>>();
  for (const svc of input.services) {
    if (!svc.readyNodes.length) continue;
    if (svc.trafficPolicy === "Local" && !svc.readyNodes.includes(node.name)) continue;
    const pool = pools.get(svc.pool);
    for (const adv of advs) {
      if (!selectsPool(adv.spec, pool) || !matchesAny(adv.spec.nodeSelectors, node.labels))
        continue;
      for (const peer of myPeers) {
        if (adv.spec.peers?.length && !adv.spec.peers.includes(peer.name)) continue;
        const ibgp = peer.spec.peerASN !== undefined && peer.spec.peerASN === peer.spec.myASN;
        const table = building.get(peer.name) ?? new Map<string, Building>();
        building.set(peer.name, table);
        for (const text of svc.ips) {
          const ip = parseIp(text);
          if (!ip) continue;
          const len =
            ip.family === 4
              ? (adv.spec.aggregationLength ?? 32)
              : (adv.spec.aggregationLengthV6 ?? 128);
          const prefix = prefixOf(ip, len);
          const route = table.get(prefix) ?? {
            prefix,
            family: ip.family,
            communities: [],
            largeCommunities: [],
            services: [],
          };
          table.set(prefix, route);
          const a = attrs.get(adv.name) ?? { standard: [], large: [] };
          merge(route, adv, a, svc.key, ibgp, peer.name, problems);
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
  return { routes, problems: dedupe(problems) };
}

const uniqueSorted = (xs: string[]): string[] => [...new Set(xs)].sort();

function dedupe(ps: Problem[]): Problem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.kind}/${p.name}/${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
