// L2Advertisement and BGPAdvertisement → which pools each announces, where and how. Which pools
// an advertisement selects is decided here and nowhere else.
import type { BGPAdvertisementSpec } from "../api/kinds/bgpadvertisement.js";
import type { L2AdvertisementSpec } from "../api/kinds/l2advertisement.js";
import { cidrLengthsOf } from "../api/formats/ip.js";
import { matchesAny, type LabelSelector, type Labels } from "../api/formats/label-selector.js";
import type { ResolvedCommunities } from "./community.js";
import { problem, type ConfigKind, type Problem } from "./problem.js";
import type { Pool } from "./pool.js";

interface PoolSelection {
  ipAddressPools?: string[];
  ipAddressPoolSelectors?: LabelSelector[];
}

/** Pools named, plus pools whose labels a selector matches; every pool when neither is set. */
export function selectedPools(
  spec: PoolSelection,
  pools: readonly { name: string; labels?: Labels }[],
): string[] {
  const names = spec.ipAddressPools ?? [];
  const selectors = spec.ipAddressPoolSelectors ?? [];
  if (!names.length && !selectors.length) return pools.map((p) => p.name);
  return pools
    .filter(
      (p) =>
        names.includes(p.name) || (selectors.length > 0 && matchesAny(selectors, p.labels ?? {})),
    )
    .map((p) => p.name);
}

export interface L2Advertisement {
  name: string;
  /** Names of the pools it announces. */
  pools: ReadonlySet<string>;
  nodeSelectors: LabelSelector[];
  /** Interfaces to answer on; empty: every suitable interface. */
  interfaces: string[];
}

export interface BgpAdvertisement {
  name: string;
  pools: ReadonlySet<string>;
  nodeSelectors: LabelSelector[];
  aggregationLength: number;
  aggregationLengthV6: number;
  localPref?: number;
  /** "AS:value", resolved from aliases. */
  communities: string[];
  /** "global:local1:local2", resolved from aliases. */
  largeCommunities: string[];
  /** BGPPeer names; undefined: every peer. */
  peers?: string[];
}

/** Names an advertisement refers to that no pool has, as problems. */
export function unknownPools(
  kind: ConfigKind,
  name: string,
  spec: PoolSelection,
  pools: readonly { name: string }[],
  allPoolNames: readonly string[],
): Problem[] {
  const known = new Set(allPoolNames);
  return (spec.ipAddressPools ?? []).flatMap((pool, i) =>
    known.has(pool)
      ? []
      : [
          problem(
            kind,
            name,
            ["spec", "ipAddressPools", i],
            `IPAddressPool "${pool}" does not exist`,
            `create it or correct the name (pools: ${pools.map((p) => p.name).join(", ") || "none"})`,
          ),
        ],
  );
}

export function l2Advertisement(
  name: string,
  spec: L2AdvertisementSpec,
  pools: readonly Pool[],
): L2Advertisement {
  return {
    name,
    pools: new Set(selectedPools(spec, pools)),
    nodeSelectors: spec.nodeSelectors ?? [],
    interfaces: spec.interfaces ?? [],
  };
}

/** Aggregation may not reach beyond the pool: the prefix would attract foreign addresses. */
function aggregationProblems(
  name: string,
  spec: BGPAdvertisementSpec,
  pools: readonly Pool[],
): Problem[] {
  const out: Problem[] = [];
  for (const pool of pools)
    pool.ranges.forEach((r, i) => {
      const field = r.family === 4 ? "aggregationLength" : "aggregationLengthV6";
      const agg = spec[field];
      if (agg === undefined) return;
      const longest = Math.max(...cidrLengthsOf(r));
      if (agg < longest)
        out.push(
          problem(
            "BGPAdvertisement",
            name,
            ["spec", field],
            `${field} ${agg} is shorter than /${longest} in pool ${pool.name} ` +
              `(${pool.entries?.[i] ?? "an entry"}): the aggregate would cover addresses outside the pool`,
            `use ${longest} or more`,
          ),
        );
    });
  return out;
}

export function bgpAdvertisement(
  name: string,
  spec: BGPAdvertisementSpec,
  pools: readonly Pool[],
  communities: ResolvedCommunities,
): { advertisement: BgpAdvertisement; problems: Problem[] } {
  const selected = selectedPools(spec, pools);
  return {
    advertisement: {
      name,
      pools: new Set(selected),
      nodeSelectors: spec.nodeSelectors ?? [],
      aggregationLength: spec.aggregationLength ?? 32,
      aggregationLengthV6: spec.aggregationLengthV6 ?? 128,
      ...(spec.localPref !== undefined ? { localPref: spec.localPref } : {}),
      communities: communities.standard,
      largeCommunities: communities.large,
      ...(spec.peers?.length ? { peers: spec.peers } : {}),
    },
    problems: aggregationProblems(
      name,
      spec,
      pools.filter((p) => selected.includes(p.name)),
    ),
  };
}

/** Whether two advertisements can send one route to one peer (a shared pool and peer). */
export function overlapping(a: BgpAdvertisement, b: BgpAdvertisement): boolean {
  const peers = !a.peers || !b.peers || a.peers.some((p) => b.peers?.includes(p));
  return peers && [...a.pools].some((p) => b.pools.has(p));
}

/**
 * Two advertisements of one pool and peer with different localPrefs: which one a route gets
 * would depend on naming, so it is an error (the earlier name wins meanwhile).
 */
export function localPrefConflicts(advs: readonly BgpAdvertisement[]): Problem[] {
  const out: Problem[] = [];
  const sorted = [...advs].sort((a, b) => (a.name < b.name ? -1 : 1));
  sorted.forEach((b, j) => {
    for (const a of sorted.slice(0, j)) {
      if (a.localPref === undefined || b.localPref === undefined) continue;
      if (a.localPref === b.localPref || !overlapping(a, b)) continue;
      for (const pool of [...a.pools].filter((p) => b.pools.has(p)).sort())
        out.push(
          problem(
            "BGPAdvertisement",
            b.name,
            ["spec", "localPref"],
            `localPref ${b.localPref} for pool ${pool} conflicts with localPref ${a.localPref} ` +
              `of BGPAdvertisement ${a.name} to the same peers`,
            `use one localPref per pool and peer (${a.localPref} is used)`,
          ),
        );
    }
  });
  return out;
}

/**
 * An advertisement with a localPref that reaches only eBGP peers: LOCAL_PREF is sent to internal
 * peers only (RFC 4271 §5.1.5), so the setting has no effect. Only with the peers known (a
 * program that reads BGPPeers) and at least one peer reached.
 */
export function ebgpOnlyLocalPref(
  advs: readonly BgpAdvertisement[],
  peers: readonly { name: string; ebgp: boolean }[],
): Problem[] {
  const out: Problem[] = [];
  for (const a of advs) {
    if (a.localPref === undefined) continue;
    const reached = peers.filter((p) => !a.peers || a.peers.includes(p.name));
    if (reached.length === 0 || reached.some((p) => !p.ebgp)) continue;
    out.push(
      problem(
        "BGPAdvertisement",
        a.name,
        ["spec", "localPref"],
        `localPref ${a.localPref} has no effect: every peer this advertisement reaches ` +
          `(${reached.map((p) => p.name).join(", ")}) is eBGP, and LOCAL_PREF is sent to iBGP peers only`,
        "remove localPref, or steer eBGP peers with communities (or their own import policy)",
        "warning",
      ),
    );
  }
  return out;
}
