// Path attributes (RFC 4271 §4.3/§5, RFC 1997, RFC 4360, RFC 4456, RFC 4760, RFC 6793,
// RFC 8092): typed values, their wire form, and the per-attribute error handling of RFC 7606
// §7 — a malformed attribute is either discarded or makes the UPDATE "treat-as-withdraw";
// only a malformed MP_REACH/MP_UNREACH (whose NLRI cannot be located) resets the session.
import type { LargeCommunity } from "../../../api/formats/community.js";
import type { Family } from "../../../api/formats/ip.js";
import { BgpError, ErrorCode, UpdateError } from "../errors.js";
import { Reader, Writer } from "./bytes.js";
import { readSegments, writeSegments, type AsPathSegment } from "./as-path.js";
import {
  familyOfAfi,
  readAddress,
  readPrefixes,
  writeAddress,
  writePrefix,
  type Prefix,
} from "./prefix.js";

export const AttrCode = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  Med: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  OriginatorId: 9,
  ClusterList: 10,
  MpReach: 14,
  MpUnreach: 15,
  ExtendedCommunities: 16,
  As4Path: 17,
  As4Aggregator: 18,
  LargeCommunities: 32,
} as const;

export const Flag = { Optional: 0x80, Transitive: 0x40, Partial: 0x20, ExtendedLength: 0x10 };

export const ATTR_NAMES: Record<number, string> = {
  1: "ORIGIN",
  2: "AS_PATH",
  3: "NEXT_HOP",
  4: "MULTI_EXIT_DISC",
  5: "LOCAL_PREF",
  6: "ATOMIC_AGGREGATE",
  7: "AGGREGATOR",
  8: "COMMUNITIES",
  9: "ORIGINATOR_ID",
  10: "CLUSTER_LIST",
  14: "MP_REACH_NLRI",
  15: "MP_UNREACH_NLRI",
  16: "EXTENDED_COMMUNITIES",
  17: "AS4_PATH",
  18: "AS4_AGGREGATOR",
  32: "LARGE_COMMUNITY",
};

export const attrName = (code: number): string => ATTR_NAMES[code] ?? `attribute ${code}`;

export const Origin = { Igp: 0, Egp: 1, Incomplete: 2 } as const;

export type { LargeCommunity };

export type PathAttribute =
  | { type: "origin"; origin: number }
  | { type: "asPath"; segments: AsPathSegment[] }
  | { type: "nextHop"; nextHop: string }
  | { type: "med"; med: number }
  | { type: "localPref"; localPref: number }
  | { type: "atomicAggregate" }
  | { type: "aggregator"; asn: number; address: string }
  | { type: "communities"; communities: number[] }
  | { type: "originatorId"; originatorId: string }
  | { type: "clusterList"; clusterIds: string[] }
  | {
      type: "mpReach";
      afi: number;
      safi: number;
      /** Global next hop, then the link-local one when present (RFC 2545). */
      nextHops: string[];
      nlri: Prefix[];
    }
  | { type: "mpUnreach"; afi: number; safi: number; withdrawn: Prefix[] }
  | { type: "extendedCommunities"; communities: bigint[] }
  | { type: "as4Path"; segments: AsPathSegment[] }
  | { type: "as4Aggregator"; asn: number; address: string }
  | { type: "largeCommunities"; communities: LargeCommunity[] }
  /** Attributes we do not interpret (and MP attributes of families we do not speak). */
  | { type: "unknown"; code: number; flags: number; value: Buffer };

export type AttributeAction = "treat-as-withdraw" | "discard";

/** A malformed or unwanted attribute and what RFC 7606 (or RFC 6793) says to do about it. */
export interface AttributeProblem {
  attribute: string;
  action: AttributeAction;
  reason: string;
}

export interface CodecContext {
  /** Both sides advertised the 4-octet AS capability: AS_PATH and AGGREGATOR use 4-octet ASNs. */
  fourOctetAs: boolean;
}

const WELL_KNOWN = Flag.Transitive;
const OPTIONAL_TRANSITIVE = Flag.Optional | Flag.Transitive;
const OPTIONAL = Flag.Optional;

/** Optional+Transitive bits each known attribute must carry. */
const EXPECTED_FLAGS: Record<number, number> = {
  1: WELL_KNOWN,
  2: WELL_KNOWN,
  3: WELL_KNOWN,
  4: OPTIONAL,
  5: WELL_KNOWN,
  6: WELL_KNOWN,
  7: OPTIONAL_TRANSITIVE,
  8: OPTIONAL_TRANSITIVE,
  9: OPTIONAL,
  10: OPTIONAL,
  14: OPTIONAL,
  15: OPTIONAL,
  16: OPTIONAL_TRANSITIVE,
  17: OPTIONAL_TRANSITIVE,
  18: OPTIONAL_TRANSITIVE,
  32: OPTIONAL_TRANSITIVE,
};

export const isKnownAttribute = (code: number): boolean => code in EXPECTED_FLAGS;

/** Attributes whose malformation RFC 7606 / RFC 6793 handle by discarding just the attribute. */
const DISCARD_WHEN_MALFORMED = new Set<number>([
  AttrCode.AtomicAggregate,
  AttrCode.Aggregator,
  AttrCode.As4Path,
  AttrCode.As4Aggregator,
]);

export type ParsedAttribute = { attr: PathAttribute } | { problem: AttributeProblem } | undefined;

const BLANK_FLAGS_MASK = Flag.Optional | Flag.Transitive;

function malformed(code: number, reason: string): { problem: AttributeProblem } {
  return {
    problem: {
      attribute: attrName(code),
      action: DISCARD_WHEN_MALFORMED.has(code) ? "discard" : "treat-as-withdraw",
      reason,
    },
  };
}

const ipv4 = (r: Reader): string => readAddress(r, 4, "IPv4 address");

/** MP attribute trouble: the NLRI cannot be trusted, so the session resets (RFC 7606 §7.11). */
function mpError(code: number, detail: string): BgpError {
  return new BgpError(
    ErrorCode.Update,
    UpdateError.OptionalAttribute,
    `${attrName(code)}: ${detail}`,
  );
}

function nextHopsOf(r: Reader, afi: number, length: number): string[] {
  if (afi === 1 && length === 4) return [ipv4(r)];
  // IPv6 next hop, optionally followed by the link-local one (RFC 2545); also RFC 8950 for IPv4.
  if (length === 16 || length === 32) {
    const hops = [readAddress(r, 6, "next hop")];
    if (length === 32) hops.push(readAddress(r, 6, "link-local next hop"));
    return hops;
  }
  throw mpError(AttrCode.MpReach, `next hop length ${length} is not valid for AFI ${afi}`);
}

/** Whether MP attributes of this AFI/SAFI carry plain IP prefixes we can decode. */
const prefixFamily = (afi: number, safi: number): Family | undefined =>
  safi === 1 || safi === 2 ? familyOfAfi(afi) : undefined;

function readMp(code: number, flags: number, value: Buffer): PathAttribute {
  const r = new Reader(value, (what) => mpError(code, `${what} is truncated`));
  const afi = r.u16("AFI");
  const safi = r.u8("SAFI");
  const family = prefixFamily(afi, safi);
  if (family === undefined)
    return { type: "unknown", code, flags: flags & 0xe0, value: Buffer.from(value) };
  const nlriError = (detail: string) => mpError(code, detail);
  if (code === AttrCode.MpUnreach) {
    return { type: "mpUnreach", afi, safi, withdrawn: readPrefixes(r, family, nlriError) };
  }
  const nhLength = r.u8("next hop length");
  const nh = r.sub(nhLength, "next hop");
  const nextHops = nextHopsOf(nh, afi, nhLength);
  r.u8("reserved octet");
  return { type: "mpReach", afi, safi, nextHops, nlri: readPrefixes(r, family, nlriError) };
}

function fixedLength(
  code: number,
  value: Buffer,
  length: number,
): { problem: AttributeProblem } | undefined {
  return value.length === length
    ? undefined
    : malformed(code, `length ${value.length}, expected ${length}`);
}

function multipleOf(
  code: number,
  value: Buffer,
  unit: number,
): { problem: AttributeProblem } | undefined {
  return value.length > 0 && value.length % unit === 0
    ? undefined
    : malformed(code, `length ${value.length} is not a non-zero multiple of ${unit}`);
}

/**
 * One attribute's value. Returns the typed attribute, a problem (discard / treat-as-withdraw),
 * or undefined for an unrecognised optional non-transitive attribute (quietly ignored).
 * Throws BgpError when the session must reset.
 */
export function readAttribute(
  code: number,
  flags: number,
  value: Buffer,
  ctx: CodecContext,
): ParsedAttribute {
  const expected = EXPECTED_FLAGS[code];
  if (expected === undefined) {
    if (!(flags & Flag.Optional)) {
      throw new BgpError(
        ErrorCode.Update,
        UpdateError.UnrecognizedWellKnownAttribute,
        `well-known attribute type ${code} is not recognised`,
        Uint8Array.of(flags, code, ...(value.length < 256 ? [value.length] : [])),
      );
    }
    if (!(flags & Flag.Transitive)) return undefined;
    // The extended-length bit and the low bits are wire details, not the attribute's.
    return { attr: { type: "unknown", code, flags: flags & 0xe0, value: Buffer.from(value) } };
  }
  if ((flags & BLANK_FLAGS_MASK) !== expected) {
    if (code === AttrCode.MpReach || code === AttrCode.MpUnreach) {
      // Its NLRI is still where the length says; parse it so it can be withdrawn.
      readMp(code, flags, value);
    }
    return malformed(code, `flags 0x${flags.toString(16)} conflict with the attribute type`);
  }
  const r = new Reader(value, (what) => mpError(code, `${what} is truncated`));
  const asnOctets = ctx.fourOctetAs ? 4 : 2;
  switch (code) {
    case AttrCode.Origin: {
      const bad = fixedLength(code, value, 1);
      if (bad) return bad;
      const origin = r.u8("origin");
      if (origin > 2) return malformed(code, `undefined ORIGIN value ${origin}`);
      return { attr: { type: "origin", origin } };
    }
    case AttrCode.AsPath:
    case AttrCode.As4Path: {
      const segments = readSegments(r, code === AttrCode.As4Path ? 4 : asnOctets);
      if (typeof segments === "string") return malformed(code, segments);
      if (code === AttrCode.As4Path) {
        if (segments.some((s) => s.type.startsWith("confed"))) {
          return malformed(code, "confederation segments are not allowed in AS4_PATH");
        }
        return { attr: { type: "as4Path", segments } };
      }
      return { attr: { type: "asPath", segments } };
    }
    case AttrCode.NextHop:
      return fixedLength(code, value, 4) ?? { attr: { type: "nextHop", nextHop: ipv4(r) } };
    case AttrCode.Med:
      return fixedLength(code, value, 4) ?? { attr: { type: "med", med: r.u32("MED") } };
    case AttrCode.LocalPref:
      return (
        fixedLength(code, value, 4) ?? {
          attr: { type: "localPref", localPref: r.u32("LOCAL_PREF") },
        }
      );
    case AttrCode.AtomicAggregate:
      return fixedLength(code, value, 0) ?? { attr: { type: "atomicAggregate" } };
    case AttrCode.Aggregator:
    case AttrCode.As4Aggregator: {
      const octets = code === AttrCode.As4Aggregator ? 4 : asnOctets;
      const bad = fixedLength(code, value, octets + 4);
      if (bad) return bad;
      const asn = octets === 4 ? r.u32("ASN") : r.u16("ASN");
      // RFC 7607: AS 0 is never valid in an aggregator.
      if (asn === 0) return malformed(code, "aggregator AS is 0");
      const address = ipv4(r);
      return {
        attr: { type: code === AttrCode.Aggregator ? "aggregator" : "as4Aggregator", asn, address },
      };
    }
    case AttrCode.Communities: {
      const bad = multipleOf(code, value, 4);
      if (bad) return bad;
      const communities: number[] = [];
      while (r.remaining) communities.push(r.u32("community"));
      return { attr: { type: "communities", communities } };
    }
    case AttrCode.OriginatorId:
      return (
        fixedLength(code, value, 4) ?? { attr: { type: "originatorId", originatorId: ipv4(r) } }
      );
    case AttrCode.ClusterList: {
      const bad = multipleOf(code, value, 4);
      if (bad) return bad;
      const clusterIds: string[] = [];
      while (r.remaining) clusterIds.push(ipv4(r));
      return { attr: { type: "clusterList", clusterIds } };
    }
    case AttrCode.MpReach:
    case AttrCode.MpUnreach:
      return { attr: readMp(code, flags, value) };
    case AttrCode.ExtendedCommunities: {
      const bad = multipleOf(code, value, 8);
      if (bad) return bad;
      const communities: bigint[] = [];
      for (let i = 0; i < value.length; i += 8) communities.push(value.readBigUInt64BE(i));
      return { attr: { type: "extendedCommunities", communities } };
    }
    case AttrCode.LargeCommunities: {
      const bad = multipleOf(code, value, 12);
      if (bad) return bad;
      const communities: LargeCommunity[] = [];
      while (r.remaining) {
        communities.push({
          global: r.u32("global"),
          local1: r.u32("local1"),
          local2: r.u32("local2"),
        });
      }
      return { attr: { type: "largeCommunities", communities } };
    }
  }
  return undefined;
}

const CODE_OF: Record<Exclude<PathAttribute["type"], "unknown">, number> = {
  origin: AttrCode.Origin,
  asPath: AttrCode.AsPath,
  nextHop: AttrCode.NextHop,
  med: AttrCode.Med,
  localPref: AttrCode.LocalPref,
  atomicAggregate: AttrCode.AtomicAggregate,
  aggregator: AttrCode.Aggregator,
  communities: AttrCode.Communities,
  originatorId: AttrCode.OriginatorId,
  clusterList: AttrCode.ClusterList,
  mpReach: AttrCode.MpReach,
  mpUnreach: AttrCode.MpUnreach,
  extendedCommunities: AttrCode.ExtendedCommunities,
  as4Path: AttrCode.As4Path,
  as4Aggregator: AttrCode.As4Aggregator,
  largeCommunities: AttrCode.LargeCommunities,
};

export const codeOf = (a: PathAttribute): number =>
  a.type === "unknown" ? a.code : CODE_OF[a.type];

function writeValue(w: Writer, a: PathAttribute, ctx: CodecContext): void {
  const asnOctets = ctx.fourOctetAs ? 4 : 2;
  switch (a.type) {
    case "origin":
      w.u8(a.origin);
      return;
    case "asPath":
      writeSegments(w, a.segments, asnOctets);
      return;
    case "as4Path":
      writeSegments(w, a.segments, 4);
      return;
    case "nextHop":
    case "originatorId":
      writeAddress(w, a.type === "nextHop" ? a.nextHop : a.originatorId, 4);
      return;
    case "med":
      w.u32(a.med);
      return;
    case "localPref":
      w.u32(a.localPref);
      return;
    case "atomicAggregate":
      return;
    case "aggregator":
    case "as4Aggregator":
      if (a.type === "aggregator" && asnOctets === 2) w.u16(a.asn);
      else w.u32(a.asn);
      writeAddress(w, a.address, 4);
      return;
    case "communities":
      for (const c of a.communities) w.u32(c);
      return;
    case "clusterList":
      for (const id of a.clusterIds) writeAddress(w, id, 4);
      return;
    case "mpReach": {
      const family = prefixFamily(a.afi, a.safi) ?? 4;
      w.u16(a.afi).u8(a.safi);
      const seal = w.lengthField(1);
      for (const nh of a.nextHops) writeAddress(w, nh, nh.includes(":") ? 6 : 4);
      seal();
      w.u8(0);
      for (const p of a.nlri) {
        if (p.family !== family)
          throw new Error(`IPv${p.family} prefix in an AFI ${a.afi} MP_REACH`);
        writePrefix(w, p);
      }
      return;
    }
    case "mpUnreach":
      w.u16(a.afi).u8(a.safi);
      for (const p of a.withdrawn) writePrefix(w, p);
      return;
    case "extendedCommunities":
      for (const c of a.communities) {
        w.u32(Number(c >> 32n)).u32(Number(c & 0xffffffffn));
      }
      return;
    case "largeCommunities":
      for (const c of a.communities) w.u32(c.global).u32(c.local1).u32(c.local2);
      return;
    case "unknown":
      w.bytes(a.value);
  }
}

/** Writes flags, type, length (extended when over 255 octets) and value. */
export function writeAttribute(w: Writer, a: PathAttribute, ctx: CodecContext): void {
  const code = codeOf(a);
  const base = a.type === "unknown" ? a.flags & 0xe0 : (EXPECTED_FLAGS[code] as number);
  const value = new Writer(64);
  writeValue(value, a, ctx);
  const long = value.length > 255;
  w.u8(base | (long ? Flag.ExtendedLength : 0)).u8(code);
  if (long) w.u16(value.length);
  else w.u8(value.length);
  w.bytes(value.view());
}
