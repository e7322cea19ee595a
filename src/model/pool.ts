// IPAddressPool spec → the allocator's view of a pool, and which Services a pool serves.
import type { IPAddressPoolSpec } from "../api/kinds/ipaddresspool.js";
import {
  parsePoolEntry,
  rangeContains,
  type Family,
  type Ip,
  type IpRange,
} from "../api/formats/ip.js";
import { matchesAny, type LabelSelector, type Labels } from "../api/formats/label-selector.js";

export interface Pool {
  name: string;
  ranges: IpRange[];
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

export function parsePool(
  name: string,
  spec: IPAddressPoolSpec,
): { pool: Pool } | { errors: string[] } {
  const errors: string[] = [];
  const ranges: IpRange[] = [];
  spec.addresses.forEach((entry, i) => {
    const r = parsePoolEntry(entry);
    if (typeof r === "string") errors.push(`spec.addresses[${i}]: ${r}`);
    else ranges.push(r);
  });
  if (errors.length) return { errors };
  const sa = spec.serviceAllocation;
  return {
    pool: {
      name,
      ranges,
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

/** A pool serves a Service when every restriction of its serviceAllocation admits it. */
export function poolServes(pool: Pool, svc: ServiceIdentity): boolean {
  const a = pool.allocation;
  if (!a) return true;
  if (a.namespaces.length && !a.namespaces.includes(svc.namespace)) return false;
  if (!matchesAny(a.namespaceSelectors, svc.namespaceLabels)) return false;
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
