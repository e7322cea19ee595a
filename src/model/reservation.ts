// Reserved addresses: an IPAddressPool labelled metallb-ts.io/reserved-from=<pool> holds
// addresses carved out of that pool, typically for one Gateway (its serviceAllocation selects the
// Gateway's generated Service). The parent pool never hands them out, not even on request; the
// reservation is announced wherever its parent is. Pure.
import { formatIp, rangesOverlap, type IpRange } from "../api/formats/ip.js";
import { ENVOY_GATEWAY_LABEL, RESERVED_FROM_LABEL } from "../api/gateway.js";
import type { IPAddressPoolSpec } from "../api/kinds/ipaddresspool.js";
import { problem, type Problem } from "./problem.js";
import type { Pool } from "./pool.js";

/** The pool a reservation is carved from, or undefined for an ordinary pool. */
export const reservedFrom = (pool: { labels?: Record<string, string> }): string | undefined =>
  pool.labels?.[RESERVED_FROM_LABEL] || undefined;

/** `ranges` minus every hole, range by range in order (each piece ascending). */
export function subtractRanges(ranges: readonly IpRange[], holes: readonly IpRange[]): IpRange[] {
  const out: IpRange[] = [];
  for (const r of ranges) {
    const cut = holes
      .filter((h) => h.family === r.family && rangesOverlap(h, r))
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    let next = r.first;
    for (const h of cut) {
      if (h.first > next) out.push({ family: r.family, first: next, last: h.first - 1n });
      if (h.last + 1n > next) next = h.last + 1n;
    }
    if (next <= r.last) out.push({ family: r.family, first: next, last: r.last });
  }
  return out;
}

/** Whether every address of `r` lies in one of `ranges`. */
export function covered(r: IpRange, ranges: readonly IpRange[]): boolean {
  return subtractRanges([r], ranges).length === 0;
}

export interface Carved {
  /** The pools as the allocator and the speakers use them: parents without their reservations. */
  pools: Pool[];
  /** Parent pool name → its reservations' names. */
  children: ReadonlyMap<string, readonly string[]>;
  problems: Problem[];
}

const show = (r: IpRange) =>
  r.first === r.last
    ? formatIp({ family: r.family, value: r.first })
    : `${formatIp({ family: r.family, value: r.first })}-${formatIp({ family: r.family, value: r.last })}`;

/** Whether an overlap between these two pools is a reservation inside its own parent. */
export const isCarving = (a: Pool, b: Pool): boolean =>
  reservedFrom(a) === b.name || reservedFrom(b) === a.name;

export function carveReservations(pools: readonly Pool[]): Carved {
  const byName = new Map(pools.map((p) => [p.name, p]));
  const children = new Map<string, string[]>();
  const problems: Problem[] = [];
  for (const child of pools) {
    const parentName = reservedFrom(child);
    if (parentName === undefined) continue;
    const parent = byName.get(parentName);
    const field = ["metadata", "labels", RESERVED_FROM_LABEL];
    if (!parent) {
      problems.push(
        problem(
          "IPAddressPool",
          child.name,
          field,
          `the pool it is reserved from, "${parentName}", does not exist`,
          `name an existing IPAddressPool (pools: ${[...byName.keys()].join(", ")})`,
        ),
      );
      continue;
    }
    if (reservedFrom(parent) !== undefined || parent === child) {
      problems.push(
        problem(
          "IPAddressPool",
          child.name,
          field,
          `"${parentName}" is itself a reservation; a reservation is carved from an ordinary pool`,
          `name the pool ${parentName} is reserved from`,
        ),
      );
      continue;
    }
    child.ranges.forEach((r, i) => {
      if (!covered(r, parent.ranges))
        problems.push(
          problem(
            "IPAddressPool",
            child.name,
            ["spec", "addresses", i],
            `${show(r)} is not inside pool ${parentName}, which it is reserved from`,
            `reserve addresses of ${parentName} (${(parent.entries ?? parent.ranges.map(show)).join(", ")}), or reserve from the pool that holds them`,
          ),
        );
    });
    children.set(parentName, [...(children.get(parentName) ?? []), child.name]);
  }
  const carved = pools.map((p) => {
    const holes = (children.get(p.name) ?? []).flatMap((c) => byName.get(c)?.ranges ?? []);
    if (!holes.length) return p;
    // `entries` lists spec.addresses as written; the carved ranges no longer match them one to one.
    const carvedPool: Pool = { ...p, ranges: subtractRanges(p.ranges, holes) };
    delete carvedPool.entries;
    return carvedPool;
  });
  return { pools: carved, children, problems };
}

/** The Gateway a reservation's serviceAllocation selects (Envoy Gateway's labels), if any. */
export function reservedGateway(pool: Pool): { namespace: string; name: string } | undefined {
  for (const s of pool.allocation?.serviceSelectors ?? []) {
    const name = s.matchLabels?.[ENVOY_GATEWAY_LABEL.name];
    const namespace = s.matchLabels?.[ENVOY_GATEWAY_LABEL.namespace];
    if (name && namespace) return { namespace, name };
  }
  return undefined;
}

/** "reserved from lan for Gateway infra/public", or undefined for an ordinary pool. */
export function describeReservation(pool: Pool): string | undefined {
  const parent = reservedFrom(pool);
  if (parent === undefined) return undefined;
  const gw = reservedGateway(pool);
  return `reserved from ${parent}${gw ? ` for Gateway ${gw.namespace}/${gw.name}` : " for the Services its serviceAllocation selects"}`;
}

/** A Gateway's reservation as values declare it (charts/metallb-ts `gateways[]`). */
export interface GatewayReservationDecl {
  name: string;
  namespace: string;
  addresses: string[];
  pool: string;
}

/** The reservation pool's name: namespaces hold no dots, so the split is unambiguous. */
export const gatewayPoolName = (g: { namespace: string; name: string }): string =>
  `gateway.${g.namespace}.${g.name}`;

/**
 * The IPAddressPool a Gateway's reservation is: its addresses as /32 or /128, never
 * auto-assigned to anyone else and served only to the Service Envoy Gateway generates for that
 * Gateway in its namespace — which gets them without asking (serviceAllocation's preference).
 * charts/metallb-ts/templates/gateways.yaml renders the same object; a test holds them equal.
 */
export function gatewayReservationPool(
  g: GatewayReservationDecl,
  envoyGatewayNamespace: string,
): { name: string; labels: Record<string, string>; spec: IPAddressPoolSpec } {
  return {
    name: gatewayPoolName(g),
    labels: { [RESERVED_FROM_LABEL]: g.pool },
    spec: {
      addresses: g.addresses.map((a) => (a.includes(":") ? `${a}/128` : `${a}/32`)),
      autoAssign: true,
      avoidBuggyIPs: false,
      serviceAllocation: {
        priority: 0,
        namespaces: [envoyGatewayNamespace],
        serviceSelectors: [
          {
            matchLabels: {
              [ENVOY_GATEWAY_LABEL.name]: g.name,
              [ENVOY_GATEWAY_LABEL.namespace]: g.namespace,
            },
          },
        ],
      },
    },
  };
}
