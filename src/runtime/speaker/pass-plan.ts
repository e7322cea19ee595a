// What this node announces (pure): one pass's decisions from the cluster snapshot and who is
// alive — the parsed configuration, the L2 owner election, this node's share of it, and the BGP
// routes to each of its peers — and, once the drivers have acted, what was announced.
import { parseIp } from "../../api/formats/ip.js";
import type { Config, ConfigKind, Problem } from "../../model/index.js";
import {
  announceable,
  configOf,
  desiredInput,
  electionInput,
  type AddressProblem,
  type ClusterSnapshot,
} from "./cluster-view.js";
import { desiredRoutes, type Desired, type DesiredRoute } from "./desired-routes.js";
import { electOwners, type Election, type Placement } from "./l2-election.js";
import type { L2AddressOutcome } from "./status-plan.js";

/** The kinds whose problems a speaker reports (the controller reports the pools'). */
export const SPEAKER_KINDS: ReadonlySet<ConfigKind> = new Set([
  "L2Advertisement",
  "BGPAdvertisement",
  "BGPPeer",
  "BFDProfile",
  "Community",
]);

export interface PassPlan {
  config: Config;
  election: Election;
  /** The placements this node owns. */
  owned: Placement[];
  /** Every address some node owns after this pass. */
  placed: Set<string>;
  desired: Desired;
  /** This node's InternalIP (IPv4): the default BGP router ID. */
  ipv4?: string;
  /** Configuration problems this node reports (before the BGP driver adds its own). */
  problems: Problem[];
  /** Services' addresses that are not announced, and why; every speaker sees the same. */
  addressProblems: AddressProblem[];
  /** Whether this node records the events for them: the first live node by name, so one each. */
  reportsAddressEvents: boolean;
}

function nodeIpv4(snap: ClusterSnapshot, node: string): string | undefined {
  const me = snap.nodes.find((n) => n.metadata?.name === node);
  return me?.status?.addresses?.find(
    (a) => a.type === "InternalIP" && parseIp(a.address)?.family === 4,
  )?.address;
}

export function planPass(
  snap: ClusterSnapshot,
  namespace: string,
  node: string,
  live: ReadonlySet<string>,
): PassPlan {
  const config = configOf(snap, namespace);
  const { services, problems: addressProblems } = announceable(snap, config);
  const election = electOwners(electionInput(snap, config, live, services));
  const input = desiredInput(snap, config, node, services);
  const desired = input
    ? desiredRoutes(input)
    : { routes: new Map<string, DesiredRoute[]>(), problems: [] };
  const ipv4 = nodeIpv4(snap, node);
  return {
    config,
    election,
    owned: election.placements.filter((p) => p.owner === node),
    placed: new Set(election.placements.map((p) => p.ip)),
    desired,
    ...(ipv4 ? { ipv4 } : {}),
    problems: [
      ...config.problems.filter((p) => SPEAKER_KINDS.has(p.kind) && p.severity === "error"),
      ...desired.problems,
    ],
    addressProblems,
    reportsAddressEvents: [...live].sort()[0] === node,
  };
}

/** One address this node announces for one Service (`metallb_speaker_announced`). */
export interface Announcement {
  ip: string;
  service: string;
  protocol: "layer2" | "bgp";
}

export interface Announced {
  /** Interfaces each Service is answered on (L2), by Service key. */
  l2ByService: Map<string, string[]>;
  /** BGPPeers each Service is announced to, by Service key. */
  bgpByService: Map<string, string[]>;
  announcements: Announcement[];
}

/** "192.0.2.1/32" → "192.0.2.1"; an aggregated prefix stays a prefix. */
function hostAddress(prefix: string): string {
  const [addr = prefix, len] = prefix.split("/");
  return len === (addr.includes(":") ? "128" : "32") ? addr : prefix;
}

/** What the drivers made of the plan, per Service and per address. */
export function announced(
  l2Outcomes: readonly L2AddressOutcome[],
  routes: ReadonlyMap<string, readonly DesiredRoute[]>,
): Announced {
  const l2ByService = new Map<string, string[]>();
  for (const o of l2Outcomes)
    if (o.interfaces.length)
      for (const s of o.services)
        l2ByService.set(s, [...new Set([...(l2ByService.get(s) ?? []), ...o.interfaces])]);
  const bgpByService = new Map<string, string[]>();
  for (const [peer, rs] of routes)
    for (const r of rs)
      for (const s of r.services) bgpByService.set(s, [...(bgpByService.get(s) ?? []), peer]);
  return {
    l2ByService,
    bgpByService,
    announcements: [
      ...l2Outcomes.flatMap((o) =>
        o.interfaces.length
          ? o.services.map((service) => ({ ip: o.ip, service, protocol: "layer2" as const }))
          : [],
      ),
      ...[...routes.values()].flat().flatMap((r) =>
        r.services.map((service) => ({
          ip: hostAddress(r.prefix),
          service,
          protocol: "bgp" as const,
        })),
      ),
    ],
  };
}
