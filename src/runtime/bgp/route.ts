// The routes a speaker is asked to announce, as the Kubernetes side describes them, and their
// checked, canonical form. Bad input is reported route by route, never half-applied.
import { canonicalIp, parseIp } from "../../api/formats/ip.js";
import {
  formatLargeCommunity,
  parseCommunity,
  parseLargeCommunity,
  type LargeCommunity,
} from "../../api/formats/community.js";
import { formatPrefix, parsePrefix, type Prefix } from "./codec/prefix.js";

export interface Route {
  /** "203.0.113.10/32", "2001:db8::10/128" (no host bits). */
  prefix: string;
  /** Next hop to announce instead of the session's own address (same family as the prefix). */
  nextHop?: string;
  /** LOCAL_PREF for iBGP sessions (never sent on eBGP); 100 when absent. */
  localPref?: number;
  /** Standard communities, "65000:100". */
  communities: readonly string[];
  /** Large communities, "4200000000:1:2". */
  largeCommunities: readonly string[];
}

export interface CanonicalRoute {
  prefix: Prefix;
  /** Canonical prefix text: the route's identity. */
  key: string;
  nextHop?: string;
  localPref?: number;
  /** Sorted, without duplicates. */
  communities: number[];
  largeCommunities: LargeCommunity[];
}

export class RouteError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid routes, nothing was changed:\n  ${problems.join("\n  ")}`);
    this.name = "RouteError";
  }
}

const compareLarge = (a: LargeCommunity, b: LargeCommunity) =>
  a.global - b.global || a.local1 - b.local1 || a.local2 - b.local2;

function canonical(route: Route, where: string, problems: string[]): CanonicalRoute | undefined {
  const before = problems.length;
  const prefix = parsePrefix(route.prefix);
  if (!prefix) {
    problems.push(
      `${where}: prefix "${route.prefix}" is not an IPv4/IPv6 prefix without host bits (e.g. 203.0.113.10/32)`,
    );
  }
  let nextHop: string | undefined;
  if (route.nextHop !== undefined) {
    const ip = parseIp(route.nextHop);
    if (!ip || (prefix && ip.family !== prefix.family)) {
      problems.push(
        `${where}: next hop "${route.nextHop}" must be an address of the prefix's family`,
      );
    } else nextHop = canonicalIp(route.nextHop);
  }
  if (
    route.localPref !== undefined &&
    (!Number.isInteger(route.localPref) || route.localPref < 0 || route.localPref > 0xffffffff)
  ) {
    problems.push(`${where}: localPref ${route.localPref} must be an integer 0..4294967295`);
  }
  const communities = route.communities.map((c) => {
    const v = parseCommunity(c);
    if (v === undefined)
      problems.push(`${where}: community "${c}" must be "AS:value" (each 0..65535)`);
    return v ?? 0;
  });
  const large = route.largeCommunities.map((c) => {
    const v = parseLargeCommunity(c);
    if (!v)
      problems.push(
        `${where}: large community "${c}" must be "global:local1:local2" (each 0..4294967295)`,
      );
    return v ?? { global: 0, local1: 0, local2: 0 };
  });
  if (problems.length > before || !prefix) return undefined;
  const largeCommunities = large
    .sort(compareLarge)
    .filter((c, i, all) => i === 0 || compareLarge(c, all[i - 1] as LargeCommunity) !== 0);
  return {
    prefix,
    key: formatPrefix(prefix),
    ...(nextHop ? { nextHop } : {}),
    ...(route.localPref !== undefined ? { localPref: route.localPref } : {}),
    communities: [...new Set(communities)].sort((a, b) => a - b),
    largeCommunities,
  };
}

const sameAttributes = (a: CanonicalRoute, b: CanonicalRoute): boolean =>
  a.nextHop === b.nextHop &&
  a.localPref === b.localPref &&
  a.communities.join() === b.communities.join() &&
  a.largeCommunities.map(formatLargeCommunity).join() ===
    b.largeCommunities.map(formatLargeCommunity).join();

/** Checks and canonicalises routes; throws RouteError listing every problem. */
export function canonicalRoutes(routes: readonly Route[]): Map<string, CanonicalRoute> {
  const problems: string[] = [];
  const out = new Map<string, CanonicalRoute>();
  routes.forEach((route, i) => {
    const where = `route ${i} (${route.prefix})`;
    const c = canonical(route, where, problems);
    if (!c) return;
    const prior = out.get(c.key);
    if (prior && !sameAttributes(prior, c)) {
      problems.push(
        `${where}: ${c.key} is given twice with different attributes; merge them into one route`,
      );
    }
    out.set(c.key, c);
  });
  if (problems.length) throw new RouteError(problems);
  return out;
}
