// What one session announces (pure): the path attributes a route gets on this session, and the
// UPDATE messages that take the peer from what it was sent to what it should have — only the
// difference, with prefixes of equal attributes packed together.
import type { Family } from "../../api/formats/ip.js";
import { AS_TRANS } from "./codec/as-path.js";
import { Origin, type CodecContext, type PathAttribute } from "./codec/attributes.js";
import { packAnnouncements, packWithdrawals } from "./codec/pack.js";
import { AFI, SAFI_UNICAST, type Prefix } from "./codec/prefix.js";
import type { UpdateMessage } from "./codec/update.js";
import type { CanonicalRoute } from "./route.js";

/** RFC 4271 §5.1.5: iBGP routes always carry LOCAL_PREF; this is the customary default. */
export const DEFAULT_LOCAL_PREF = 100;

export interface ExportContext extends CodecContext {
  ibgp: boolean;
  localAsn: number;
  /** Families negotiated on the session. */
  families: Family[];
  /** Our own next hops, used for routes without one: the session's local addresses. */
  nextHop4?: string;
  nextHop6?: string;
  /** Our link-local address on the peer's link, sent beside nextHop6 (RFC 2545). */
  linkLocal6?: string;
}

/** What a peer holds from us: prefix → the attributes it was sent. */
export type AdjRibOut = ReadonlyMap<string, { prefix: Prefix; attrKey: string }>;

export interface RibOutPlan {
  messages: UpdateMessage[];
  adjRibOut: Map<string, { prefix: Prefix; attrKey: string }>;
  announced: number;
  withdrawn: number;
  /** Routes this session cannot carry, with the reason. */
  skipped: { prefix: string; reason: string }[];
}

/** The attributes of one route on this session, or why the session cannot carry it. */
export function exportAttributes(
  route: CanonicalRoute,
  ctx: ExportContext,
): PathAttribute[] | string {
  const family = route.prefix.family;
  if (!ctx.families.includes(family))
    return `IPv${family} unicast was not negotiated with the peer`;
  const own = family === 4 ? ctx.nextHop4 : ctx.nextHop6;
  const nextHop = route.nextHop ?? own;
  if (!nextHop) {
    return `no IPv${family} next hop: the session has no local IPv${family} address; set the route's nextHop`;
  }
  const attrs: PathAttribute[] = [];
  if (family === 6) {
    const nextHops =
      nextHop === ctx.nextHop6 && ctx.linkLocal6 ? [nextHop, ctx.linkLocal6] : [nextHop];
    attrs.push({ type: "mpReach", afi: AFI[6], safi: SAFI_UNICAST, nextHops, nlri: [] });
  }
  attrs.push({ type: "origin", origin: Origin.Igp });
  if (ctx.ibgp) attrs.push({ type: "asPath", segments: [] });
  else if (ctx.fourOctetAs || ctx.localAsn <= 0xffff) {
    attrs.push({ type: "asPath", segments: [{ type: "sequence", asns: [ctx.localAsn] }] });
  } else {
    // RFC 6793 §4.2.2: a 2-octet peer sees AS_TRANS, and the real ASN travels in AS4_PATH.
    attrs.push({ type: "asPath", segments: [{ type: "sequence", asns: [AS_TRANS] }] });
  }
  if (family === 4) attrs.push({ type: "nextHop", nextHop });
  if (ctx.ibgp) attrs.push({ type: "localPref", localPref: route.localPref ?? DEFAULT_LOCAL_PREF });
  if (route.communities.length) attrs.push({ type: "communities", communities: route.communities });
  if (!ctx.ibgp && !ctx.fourOctetAs && ctx.localAsn > 0xffff) {
    attrs.push({ type: "as4Path", segments: [{ type: "sequence", asns: [ctx.localAsn] }] });
  }
  if (route.largeCommunities.length) {
    attrs.push({ type: "largeCommunities", communities: route.largeCommunities });
  }
  return attrs;
}

/** Everything but the prefix that decides a route's attributes. */
const routeSignature = (r: CanonicalRoute): string =>
  [
    r.prefix.family,
    r.nextHop ?? "",
    r.localPref ?? "",
    r.communities.join(","),
    r.largeCommunities.map((c) => `${c.global}:${c.local1}:${c.local2}`).join(","),
  ].join("|");

const comparePrefix = (a: Prefix, b: Prefix): number =>
  a.family - b.family || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.length - b.length);

/** The UPDATEs that turn `adjRibOut` into `desired` on this session. */
export function planRibOut(
  adjRibOut: AdjRibOut,
  desired: ReadonlyMap<string, CanonicalRoute>,
  ctx: ExportContext,
): RibOutPlan {
  const next = new Map<string, { prefix: Prefix; attrKey: string }>();
  const skipped: RibOutPlan["skipped"] = [];
  const groups = new Map<string, { family: Family; attrs: PathAttribute[]; prefixes: Prefix[] }>();
  // Routes that differ only in their prefix share one attribute set: build each set once.
  const bySignature = new Map<string, { attrs: PathAttribute[] | string; attrKey: string }>();
  for (const route of desired.values()) {
    const signature = routeSignature(route);
    let exported = bySignature.get(signature);
    if (!exported) {
      const attrs = exportAttributes(route, ctx);
      const attrKey =
        typeof attrs === "string" ? "" : `${route.prefix.family}|${JSON.stringify(attrs)}`;
      exported = { attrs, attrKey };
      bySignature.set(signature, exported);
    }
    const { attrs, attrKey } = exported;
    if (typeof attrs === "string") {
      skipped.push({ prefix: route.key, reason: attrs });
      continue;
    }
    next.set(route.key, { prefix: route.prefix, attrKey });
    if (adjRibOut.get(route.key)?.attrKey === attrKey) continue;
    const group = groups.get(attrKey) ?? { family: route.prefix.family, attrs, prefixes: [] };
    group.prefixes.push(route.prefix);
    groups.set(attrKey, group);
  }
  const gone: Record<Family, Prefix[]> = { 4: [], 6: [] };
  for (const [key, held] of adjRibOut)
    if (!next.has(key)) gone[held.prefix.family].push(held.prefix);
  const messages: UpdateMessage[] = [];
  for (const family of [4, 6] as const) {
    if (gone[family].length)
      messages.push(...packWithdrawals(family, gone[family].sort(comparePrefix)));
  }
  let announced = 0;
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key) as { family: Family; attrs: PathAttribute[]; prefixes: Prefix[] };
    announced += g.prefixes.length;
    messages.push(...packAnnouncements(g.family, g.attrs, g.prefixes.sort(comparePrefix), ctx));
  }
  return {
    messages,
    adjRibOut: next,
    announced,
    withdrawn: gone[4].length + gone[6].length,
    skipped,
  };
}
