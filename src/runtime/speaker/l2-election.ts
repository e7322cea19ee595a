// Layer 2 owner election (pure): which node answers ARP/NDP for each Service IP.
//
// Every speaker runs this on the same inputs and reaches the same answer, so no coordination is
// needed beyond agreeing on who is alive. Placement is rendezvous hashing with bounded loads:
// each IP ranks the eligible nodes by hash(ip, node) and takes the first whose load stays within
// ceil(1.25 × average); IPs are placed in hash order, so the result does not depend on the order
// of the inputs. Services that share an IP are placed together, as one unit weighing as many
// Services as share it.
import { createHash } from "node:crypto";
import { matchesAny } from "../../api/formats/label-selector.js";
import type { L2Advertisement } from "../../model/index.js";
import { nodeExclusion, type NodeFacts } from "./node-eligibility.js";

/** The load bound: no node holds more than ceil(LOAD_FACTOR × average) Services. */
export const LOAD_FACTOR = 1.25;

export interface L2Service {
  key: string;
  /** Its addresses, in canonical text form. */
  ips: string[];
  pool: string;
  trafficPolicy: "Cluster" | "Local";
  /** Nodes with at least one ready endpoint of the Service. */
  readyNodes: readonly string[];
}

export interface ElectionInput {
  nodes: readonly NodeFacts[];
  /** Nodes whose speaker is alive (heartbeats). */
  live: ReadonlySet<string>;
  services: readonly L2Service[];
  advertisements: readonly L2Advertisement[];
}

export interface Placement {
  ip: string;
  owner: string;
  /** Keys of the Services behind the IP. */
  services: string[];
  /** Interfaces to answer on; empty means every suitable interface. */
  interfaces: string[];
}

export interface Unplaced {
  ip: string;
  services: string[];
  reason: string;
}

export interface Election {
  placements: Placement[];
  unplaced: Unplaced[];
}

const advertises = (adv: L2Advertisement, svc: L2Service): boolean => adv.pools.has(svc.pool);

/** What one pass computes once and every Service's eligibility reuses. */
interface PassFacts {
  /** Live nodes that may announce at all, in input order. */
  nodes: readonly NodeFacts[];
  /** The nodes each advertisement's nodeSelectors select. */
  selects: ReadonlyMap<L2Advertisement, ReadonlySet<string>>;
  advs: readonly L2Advertisement[];
  /** Eligibility of Cluster-policy Services, by pool: the same for all of them. */
  byPool: Map<string, Map<string, Set<string>>>;
}

function passFacts(input: ElectionInput): PassFacts {
  const nodes = input.nodes.filter((n) => !nodeExclusion(n, input.live));
  return {
    nodes,
    selects: new Map(
      input.advertisements.map((a) => [
        a,
        new Set(nodes.filter((n) => matchesAny(a.nodeSelectors, n.labels)).map((n) => n.name)),
      ]),
    ),
    advs: input.advertisements,
    byPool: new Map(),
  };
}

/** Nodes that may announce svc, each with the interfaces its advertisements allow there. */
function eligible(svc: L2Service, f: PassFacts): Map<string, Set<string>> {
  if (svc.readyNodes.length === 0) return new Map();
  const cluster = svc.trafficPolicy !== "Local";
  const cached = cluster ? f.byPool.get(svc.pool) : undefined;
  if (cached) return cached;
  const out = new Map<string, Set<string>>();
  const mine = f.advs.filter((a) => advertises(a, svc));
  for (const node of f.nodes) {
    if (!cluster && !svc.readyNodes.includes(node.name)) continue;
    const here = mine.filter((a) => f.selects.get(a)?.has(node.name));
    if (!here.length) continue;
    // An advertisement without interfaces allows all of them, which absorbs the others.
    const all = here.some((a) => !a.interfaces.length);
    out.set(node.name, new Set(all ? [] : here.flatMap((a) => a.interfaces)));
  }
  if (cluster) f.byPool.set(svc.pool, out);
  return out;
}

/**
 * Scores are remembered across passes: a pass re-ranks every (address, node) pair, and hashing
 * them anew each time cost 1.8 s at 5,000 Services × 50 nodes (docs/benchmarks.md). The hash
 * itself must stay SHA-256: speakers of two versions side by side (a rolling update) must agree
 * on every owner.
 */
const scores = new Map<string, string>();
const MAX_REMEMBERED = 1_000_000;

function score(ip: string, node: string): string {
  const key = `${ip}\u0000${node}`;
  let s = scores.get(key);
  if (s === undefined) {
    if (scores.size >= MAX_REMEMBERED) scores.clear();
    s = createHash("sha256").update(key).digest("hex");
    scores.set(key, s);
  }
  return s;
}

/** Every node of the cluster ranked for one address, remembered for the same node list. */
let ranking = { nodes: "", byIp: new Map<string, string[]>() };

function ranked(ip: string, allNodes: readonly string[], eligible: ReadonlyMap<string, unknown>) {
  const key = allNodes.join("\u0000");
  if (ranking.nodes !== key) ranking = { nodes: key, byIp: new Map() };
  let order = ranking.byIp.get(ip);
  if (!order) {
    order = allNodes
      .map((n) => ({ n, s: score(ip, n) }))
      .sort((a, b) => (a.s > b.s ? -1 : a.s < b.s ? 1 : 0))
      .map((r) => r.n);
    if (ranking.byIp.size >= MAX_REMEMBERED / 10) ranking.byIp.clear();
    ranking.byIp.set(ip, order);
  }
  return order.filter((n) => eligible.has(n));
}

/** Forgets remembered scores and rankings (benchmarks measure the first pass with this). */
export const forgetScores = (): void => {
  scores.clear();
  ranking = { nodes: "", byIp: new Map() };
};

const unplacedReason = (svcs: L2Service[], advs: readonly L2Advertisement[]): string => {
  if (svcs.some((s) => !advs.some((a) => advertises(a, s))))
    return "no L2Advertisement selects its pool";
  if (svcs.some((s) => s.readyNodes.length === 0)) return "the Service has no ready endpoint";
  return "no live, selected node is eligible (node selectors, exclusion, traffic policy Local)";
};

export function electOwners(input: ElectionInput): Election {
  const facts = passFacts(input);
  const allNodes = input.nodes.map((n) => n.name).sort();
  const byIp = new Map<string, L2Service[]>();
  for (const svc of input.services)
    for (const ip of svc.ips) byIp.set(ip, [...(byIp.get(ip) ?? []), svc]);

  const units: { ip: string; svcs: L2Service[]; nodes: Map<string, Set<string>> }[] = [];
  const unplaced: Unplaced[] = [];
  for (const [ip, all] of byIp) {
    // A shared IP goes where every sharer with a ready endpoint may go: a sharer without one
    // (scaled to zero, rolling out) must not take the address from the others.
    const withEndpoints = all.filter((s) => s.readyNodes.length > 0);
    const svcs = withEndpoints.length ? withEndpoints : all;
    let nodes: Map<string, Set<string>> | undefined;
    for (const svc of svcs) {
      const e = eligible(svc, facts);
      nodes = nodes
        ? new Map(
            [...nodes]
              .filter(([n]) => e.has(n))
              .map(([n, i]) => [n, intersectInterfaces(i, e.get(n))]),
          )
        : e;
    }
    if (!nodes?.size)
      unplaced.push({
        ip,
        services: all.map((s) => s.key).sort(),
        reason: unplacedReason(svcs, input.advertisements),
      });
    else units.push({ ip, svcs, nodes });
  }

  const eligibleNodes = new Set(units.flatMap((u) => [...u.nodes.keys()]));
  const total = units.reduce((n, u) => n + u.svcs.length, 0);
  const cap = Math.ceil((LOAD_FACTOR * total) / Math.max(1, eligibleNodes.size));
  const load = new Map<string, number>();
  const placements: Placement[] = [];
  const order = units
    .map((u) => ({ u, h: score(u.ip, "") }))
    .sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
  for (const { u } of order) {
    const candidates = ranked(u.ip, allNodes, u.nodes);
    const weight = u.svcs.length;
    const fits = candidates.find((n) => (load.get(n) ?? 0) + weight <= cap);
    // Every eligible node full (possible when eligibility is uneven): the least loaded one.
    const owner =
      fits ??
      candidates.reduce((best, n) => ((load.get(n) ?? 0) < (load.get(best) ?? 0) ? n : best));
    load.set(owner, (load.get(owner) ?? 0) + weight);
    placements.push({
      ip: u.ip,
      owner,
      services: u.svcs.map((s) => s.key).sort(),
      interfaces: [...(u.nodes.get(owner) ?? [])].sort(),
    });
  }
  placements.sort((a, b) => (a.ip < b.ip ? -1 : 1));
  unplaced.sort((a, b) => (a.ip < b.ip ? -1 : 1));
  return { placements, unplaced };
}

function intersectInterfaces(a: Set<string>, b: Set<string> | undefined): Set<string> {
  // Empty means "all interfaces": the intersection of "all" and a list is the list.
  if (!b || b.size === 0) return a;
  if (a.size === 0) return b;
  return new Set([...a].filter((i) => b.has(i)));
}
