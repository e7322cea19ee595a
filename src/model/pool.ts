// IPAddressPool → the pool the allocator hands addresses from, which Services it serves, and how
// pools conflict. Address text is parsed here once; everything downstream works on ranges.
import type { IPAddressPoolSpec } from "../api/kinds/ipaddresspool.js";
import {
  formatIp,
  parseIp,
  parsePoolEntry,
  rangeContains,
  rangesOverlap,
  type Family,
  type Ip,
  type IpRange,
} from "../api/formats/ip.js";
import { matchesAny, type LabelSelector, type Labels } from "../api/formats/label-selector.js";
import { problem, type Problem } from "./problem.js";
import { isCarving } from "./reservation.js";

export interface Pool {
  name: string;
  labels?: Labels;
  ranges: IpRange[];
  /** spec.addresses as written, entry by entry (parallel to `ranges`). */
  entries?: string[];
  autoAssign: boolean;
  avoidBuggyIPs: boolean;
  /** Undefined when the pool has no serviceAllocation (it serves every Service). */
  allocation?: {
    priority?: number;
    namespaces: string[];
    namespaceSelectors: LabelSelector[];
    serviceSelectors: LabelSelector[];
  };
}

/** What the pool checks about a Service. */
export interface ServiceIdentity {
  namespace: string;
  labels: Labels;
  namespaceLabels: Labels;
}

/** The pool, or which entries of spec.addresses are not addresses (by index, with why). */
export function parsePool(
  name: string,
  spec: IPAddressPoolSpec,
  labels?: Labels,
): { pool: Pool } | { errors: string[]; badEntries: number[] } {
  const errors: string[] = [];
  const badEntries: number[] = [];
  const ranges: IpRange[] = [];
  spec.addresses.forEach((entry, i) => {
    const r = parsePoolEntry(entry);
    if (typeof r === "string") {
      errors.push(`spec.addresses[${i}]: ${r}`);
      badEntries.push(i);
    } else ranges.push(r);
  });
  if (errors.length) return { errors, badEntries };
  const sa = spec.serviceAllocation;
  return {
    pool: {
      name,
      ...(labels ? { labels } : {}),
      ranges,
      entries: [...spec.addresses],
      autoAssign: spec.autoAssign ?? true,
      avoidBuggyIPs: spec.avoidBuggyIPs ?? false,
      ...(sa
        ? {
            allocation: {
              ...(sa.priority !== undefined ? { priority: sa.priority } : {}),
              namespaces: sa.namespaces ?? [],
              namespaceSelectors: sa.namespaceSelectors ?? [],
              serviceSelectors: sa.serviceSelectors ?? [],
            },
          }
        : {}),
    },
  };
}

/**
 * Warnings for CIDR entries written with host bits set ("203.0.113.5/26"): the pool is the whole
 * prefix (upstream masks them too), which is rarely what the writer meant.
 */
export function hostBitWarnings(pool: Pool): Problem[] {
  return (pool.entries ?? []).flatMap((entry, i) => {
    const [addr = "", len = ""] = entry.trim().split("/");
    const ip = entry.includes("/") ? parseIp(addr) : undefined;
    const range = pool.ranges[i];
    if (!ip || !range || ip.value === range.first) return [];
    const prefix = `${formatIp({ family: ip.family, value: range.first })}/${len}`;
    const last = formatIp({ family: ip.family, value: range.last });
    return [
      problem(
        "IPAddressPool",
        pool.name,
        ["spec", "addresses", i],
        `"${entry}" has host bits set: the pool holds all of ${prefix}, not from ${addr}`,
        `write ${prefix}, or the range ${addr}-${last} to start at ${addr}`,
        "warning",
      ),
    ];
  });
}

/**
 * Whether a pool serves a Service. As upstream: the namespace restrictions are one — a namespace
 * listed in `namespaces` or matching one of `namespaceSelectors` — and the Service must also match
 * one of `serviceSelectors`; an empty list restricts nothing.
 */
export function poolServes(pool: Pool, svc: ServiceIdentity): boolean {
  const a = pool.allocation;
  if (!a) return true;
  const restrictsNamespace = a.namespaces.length > 0 || a.namespaceSelectors.length > 0;
  if (
    restrictsNamespace &&
    !a.namespaces.includes(svc.namespace) &&
    !(a.namespaceSelectors.length && matchesAny(a.namespaceSelectors, svc.namespaceLabels))
  )
    return false;
  return matchesAny(a.serviceSelectors, svc.labels);
}

export const poolContains = (pool: Pool, ip: Ip): boolean =>
  pool.ranges.some((r) => rangeContains(r, ip));

export const poolFamilies = (pool: Pool): Set<Family> => new Set(pool.ranges.map((r) => r.family));

/**
 * The documented deterministic pool order (upstream picks at random among equals): pools with a
 * serviceAllocation first, by priority (lower first; unset last), then every other pool; ties by
 * name.
 */
export function comparePools(a: Pool, b: Pool): number {
  const rank = (p: Pool) =>
    p.allocation ? (p.allocation.priority ?? Number.MAX_SAFE_INTEGER) : Infinity;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const show = (r: IpRange) =>
  `${formatIp({ family: r.family, value: r.first })}-${formatIp({ family: r.family, value: r.last })}`;

export interface Overlap {
  pool: string;
  /** Index of the entry in the pool's spec.addresses. */
  entry: number;
  message: string;
}

/**
 * Every overlap between address entries — across pools and within one pool — once for each side,
 * so that both pools (or both entries) can say so. Overlapping pools stay usable: the allocator
 * never hands one address out twice.
 */
export function overlapsOf(pools: readonly Pool[]): Overlap[] {
  const all = [...pools]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((p) => p.ranges.map((r, entry) => ({ p, r, entry })));
  const out: Overlap[] = [];
  all.forEach((a, i) => {
    for (const b of all.slice(i + 1)) {
      if (!rangesOverlap(a.r, b.r)) continue;
      // A reservation lies inside its parent by design (model/reservation.ts).
      if (a.p !== b.p && isCarving(a.p, b.p)) continue;
      if (a.p === b.p) {
        out.push({
          pool: a.p.name,
          entry: b.entry,
          message: `${show(b.r)} overlaps ${show(a.r)} (entry ${a.entry}) of the same pool`,
        });
        continue;
      }
      out.push({
        pool: a.p.name,
        entry: a.entry,
        message: `${show(a.r)} overlaps ${show(b.r)} of IPAddressPool ${b.p.name}`,
      });
      out.push({
        pool: b.p.name,
        entry: b.entry,
        message: `${show(b.r)} overlaps ${show(a.r)} of IPAddressPool ${a.p.name}`,
      });
    }
  });
  return out;
}

/** For each pool that overlaps another (or itself), one message per overlap. */
export function poolOverlaps(pools: readonly Pool[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const o of overlapsOf(pools)) out.set(o.pool, [...(out.get(o.pool) ?? []), o.message]);
  return out;
}
