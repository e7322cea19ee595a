// Path attributes (RFC 4271 §4.3/§5, RFC 1997, RFC 4360, RFC 4456, RFC 4760, RFC 6793,
// RFC 8092): typed values, their wire form, and the per-attribute error handling of RFC 7606
// §7 — a malformed attribute is either discarded or makes the UPDATE "treat-as-withdraw";
// only a malformed MP_REACH/MP_UNREACH (whose NLRI cannot be located) resets the session.
// Everything known about one attribute sits in its ATTRIBUTES entry, and every lookup by code
// or name is derived from that table, so supporting an attribute is one entry, not six edits.
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

export const Flag = { Optional: 0x80, Transitive: 0x40, Partial: 0x20, ExtendedLength: 0x10 };

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

export type ParsedAttribute = { attr: PathAttribute } | { problem: AttributeProblem } | undefined;

type KnownType = Exclude<PathAttribute["type"], "unknown">;

/** Each PathAttribute variant under its `type`, so a table entry can name its own variant. */
type Variants = { [A in PathAttribute as A["type"]]: A };

type MpType = "mpReach" | "mpUnreach";

/** An attribute as it arrived, for decoders that keep it opaque or name it in errors. */
interface RawAttribute {
  code: number;
  flags: number;
  value: Buffer;
}

interface AttributeSpec<K extends KnownType> {
  code: number;
  name: string;
  /** The Optional and Transitive bits: required on receipt, and sent. */
  flags: number;
  onMalformed: AttributeAction;
  /** Why the value's length is wrong for this attribute; checked before decoding. */
  length?: (length: number, ctx: CodecContext) => string | undefined;
  /**
   * Decode (and drop the result) even when the flags conflict: treat-as-withdraw relies on the
   * NLRI being where the length says, so MP NLRI that cannot be parsed must still reset the
   * session (RFC 7606 §7.11).
   */
  decodeDespiteFlags?: true;
  /**
   * The typed value or why it is malformed. MP attributes of a family we do not speak stay
   * opaque. Throws BgpError when the session must reset.
   */
  decode: (
    r: Reader,
    ctx: CodecContext,
    raw: RawAttribute,
  ) => Variants[K | (K extends MpType ? "unknown" : never)] | string;
  encode: (w: Writer, a: Variants[K], ctx: CodecContext) => void;
}

type AttributeTable = { [K in KnownType]: AttributeSpec<K> };

const WELL_KNOWN = Flag.Transitive;
const OPTIONAL_TRANSITIVE = Flag.Optional | Flag.Transitive;
const OPTIONAL = Flag.Optional;

const exactly =
  (expected: number) =>
  (length: number): string | undefined =>
    length === expected ? undefined : `length ${length}, expected ${expected}`;

const multipleOf =
  (unit: number) =>
  (length: number): string | undefined =>
    length > 0 && length % unit === 0
      ? undefined
      : `length ${length} is not a non-zero multiple of ${unit}`;

const asnOctets = (ctx: CodecContext): 2 | 4 => (ctx.fourOctetAs ? 4 : 2);

const ipv4 = (r: Reader): string => readAddress(r, 4, "IPv4 address");

/** Reads items until the value ends; its length rule guarantees whole items. */
function readAll<T>(r: Reader, item: () => T): T[] {
  const items: T[] = [];
  while (r.remaining) items.push(item());
  return items;
}

/** The extended-length bit and the low bits are wire details, not the attribute's. */
const opaque = ({ code, flags, value }: RawAttribute): Variants["unknown"] => ({
  type: "unknown",
  code,
  flags: flags & 0xe0,
  value: Buffer.from(value),
});

function readAggregator(r: Reader, octets: 2 | 4): { asn: number; address: string } | string {
  const asn = octets === 4 ? r.u32("ASN") : r.u16("ASN");
  // RFC 7607: AS 0 is never valid in an aggregator.
  if (asn === 0) return "aggregator AS is 0";
  return { asn, address: ipv4(r) };
}

function writeAggregator(w: Writer, a: { asn: number; address: string }, octets: 2 | 4): void {
  if (octets === 2) w.u16(a.asn);
  else w.u32(a.asn);
  writeAddress(w, a.address, 4);
}

/** MP attribute trouble: the NLRI cannot be trusted, so the session resets (RFC 7606 §7.11). */
function mpError(code: number, detail: string): BgpError {
  return new BgpError(
    ErrorCode.Update,
    UpdateError.OptionalAttribute,
    `${attrName(code)}: ${detail}`,
  );
}

function nextHopsOf(r: Reader, code: number, afi: number, length: number): string[] {
  if (afi === 1 && length === 4) return [ipv4(r)];
  // IPv6 next hop, optionally followed by the link-local one (RFC 2545); also RFC 8950 for IPv4.
  if (length === 16 || length === 32) {
    const hops = [readAddress(r, 6, "next hop")];
    if (length === 32) hops.push(readAddress(r, 6, "link-local next hop"));
    return hops;
  }
  throw mpError(code, `next hop length ${length} is not valid for AFI ${afi}`);
}

/** Whether MP attributes of this AFI/SAFI carry plain IP prefixes we can decode. */
const prefixFamily = (afi: number, safi: number): Family | undefined =>
  safi === 1 || safi === 2 ? familyOfAfi(afi) : undefined;

function readAfiSafi(r: Reader): { afi: number; safi: number; family: Family | undefined } {
  const afi = r.u16("AFI");
  const safi = r.u8("SAFI");
  return { afi, safi, family: prefixFamily(afi, safi) };
}

function readMpReach(r: Reader, raw: RawAttribute): Variants["mpReach" | "unknown"] {
  const { afi, safi, family } = readAfiSafi(r);
  if (family === undefined) return opaque(raw);
  const nhLength = r.u8("next hop length");
  const nextHops = nextHopsOf(r.sub(nhLength, "next hop"), raw.code, afi, nhLength);
  r.u8("reserved octet");
  const nlri = readPrefixes(r, family, (detail) => mpError(raw.code, detail));
  return { type: "mpReach", afi, safi, nextHops, nlri };
}

function readMpUnreach(r: Reader, raw: RawAttribute): Variants["mpUnreach" | "unknown"] {
  const { afi, safi, family } = readAfiSafi(r);
  if (family === undefined) return opaque(raw);
  const withdrawn = readPrefixes(r, family, (detail) => mpError(raw.code, detail));
  return { type: "mpUnreach", afi, safi, withdrawn };
}

// onMalformed follows RFC 7606 §7 (RFC 6793 §6 for AS4_*): only attributes that do not affect
// route selection, or merely supplement AS_PATH and AGGREGATOR, can be dropped on their own.
const ATTRIBUTES = {
  origin: {
    code: 1,
    name: "ORIGIN",
    flags: WELL_KNOWN,
    onMalformed: "treat-as-withdraw",
    length: exactly(1),
    decode: (r) => {
      const origin = r.u8("origin");
      return origin > 2 ? `undefined ORIGIN value ${origin}` : { type: "origin", origin };
    },
    encode: (w, a) => void w.u8(a.origin),
  },
  asPath: {
    code: 2,
    name: "AS_PATH",
    flags: WELL_KNOWN,
    onMalformed: "treat-as-withdraw",
    decode: (r, ctx) => {
      const segments = readSegments(r, asnOctets(ctx));
      return typeof segments === "string" ? segments : { type: "asPath", segments };
    },
    encode: (w, a, ctx) => writeSegments(w, a.segments, asnOctets(ctx)),
  },
  nextHop: {
    code: 3,
    name: "NEXT_HOP",
    flags: WELL_KNOWN,
    onMalformed: "treat-as-withdraw",
    length: exactly(4),
    decode: (r) => ({ type: "nextHop", nextHop: ipv4(r) }),
    encode: (w, a) => writeAddress(w, a.nextHop, 4),
  },
  med: {
    code: 4,
    name: "MULTI_EXIT_DISC",
    flags: OPTIONAL,
    onMalformed: "treat-as-withdraw",
    length: exactly(4),
    decode: (r) => ({ type: "med", med: r.u32("MED") }),
    encode: (w, a) => void w.u32(a.med),
  },
  localPref: {
    code: 5,
    name: "LOCAL_PREF",
    flags: WELL_KNOWN,
    onMalformed: "treat-as-withdraw",
    length: exactly(4),
    decode: (r) => ({ type: "localPref", localPref: r.u32("LOCAL_PREF") }),
    encode: (w, a) => void w.u32(a.localPref),
  },
  atomicAggregate: {
    code: 6,
    name: "ATOMIC_AGGREGATE",
    flags: WELL_KNOWN,
    onMalformed: "discard",
    length: exactly(0),
    decode: () => ({ type: "atomicAggregate" }),
    encode: () => {},
  },
  aggregator: {
    code: 7,
    name: "AGGREGATOR",
    flags: OPTIONAL_TRANSITIVE,
    onMalformed: "discard",
    length: (length, ctx) => exactly(asnOctets(ctx) + 4)(length),
    decode: (r, ctx) => {
      const aggregator = readAggregator(r, asnOctets(ctx));
      return typeof aggregator === "string" ? aggregator : { type: "aggregator", ...aggregator };
    },
    encode: (w, a, ctx) => writeAggregator(w, a, asnOctets(ctx)),
  },
  communities: {
    code: 8,
    name: "COMMUNITIES",
    flags: OPTIONAL_TRANSITIVE,
    onMalformed: "treat-as-withdraw",
    length: multipleOf(4),
    decode: (r) => ({ type: "communities", communities: readAll(r, () => r.u32("community")) }),
    encode: (w, a) => {
      for (const c of a.communities) w.u32(c);
    },
  },
  originatorId: {
    code: 9,
    name: "ORIGINATOR_ID",
    flags: OPTIONAL,
    onMalformed: "treat-as-withdraw",
    length: exactly(4),
    decode: (r) => ({ type: "originatorId", originatorId: ipv4(r) }),
    encode: (w, a) => writeAddress(w, a.originatorId, 4),
  },
  clusterList: {
    code: 10,
    name: "CLUSTER_LIST",
    flags: OPTIONAL,
    onMalformed: "treat-as-withdraw",
    length: multipleOf(4),
    decode: (r) => ({ type: "clusterList", clusterIds: readAll(r, () => ipv4(r)) }),
    encode: (w, a) => {
      for (const id of a.clusterIds) writeAddress(w, id, 4);
    },
  },
  mpReach: {
    code: 14,
    name: "MP_REACH_NLRI",
    flags: OPTIONAL,
    onMalformed: "treat-as-withdraw",
    decodeDespiteFlags: true,
    decode: (r, _ctx, raw) => readMpReach(r, raw),
    encode: (w, a) => {
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
    },
  },
  mpUnreach: {
    code: 15,
    name: "MP_UNREACH_NLRI",
    flags: OPTIONAL,
    onMalformed: "treat-as-withdraw",
    decodeDespiteFlags: true,
    decode: (r, _ctx, raw) => readMpUnreach(r, raw),
    encode: (w, a) => {
      w.u16(a.afi).u8(a.safi);
      for (const p of a.withdrawn) writePrefix(w, p);
    },
  },
  extendedCommunities: {
    code: 16,
    name: "EXTENDED_COMMUNITIES",
    flags: OPTIONAL_TRANSITIVE,
    onMalformed: "treat-as-withdraw",
    length: multipleOf(8),
    decode: (r) => ({
      type: "extendedCommunities",
      communities: readAll(r, () => r.bytes(8, "extended community").readBigUInt64BE(0)),
    }),
    encode: (w, a) => {
      for (const c of a.communities) w.u32(Number(c >> 32n)).u32(Number(c & 0xffffffffn));
    },
  },
  as4Path: {
    code: 17,
    name: "AS4_PATH",
    flags: OPTIONAL_TRANSITIVE,
    onMalformed: "discard",
    decode: (r) => {
      const segments = readSegments(r, 4);
      if (typeof segments === "string") return segments;
      if (segments.some((s) => s.type.startsWith("confed"))) {
        return "confederation segments are not allowed in AS4_PATH";
      }
      return { type: "as4Path", segments };
    },
    encode: (w, a) => writeSegments(w, a.segments, 4),
  },
  as4Aggregator: {
    code: 18,
    name: "AS4_AGGREGATOR",
    flags: OPTIONAL_TRANSITIVE,
    onMalformed: "discard",
    length: exactly(8),
    decode: (r) => {
      const aggregator = readAggregator(r, 4);
      return typeof aggregator === "string" ? aggregator : { type: "as4Aggregator", ...aggregator };
    },
    encode: (w, a) => writeAggregator(w, a, 4),
  },
  largeCommunities: {
    code: 32,
    name: "LARGE_COMMUNITY",
    flags: OPTIONAL_TRANSITIVE,
    onMalformed: "treat-as-withdraw",
    length: multipleOf(12),
    decode: (r) => ({
      type: "largeCommunities",
      communities: readAll(r, () => ({
        global: r.u32("global"),
        local1: r.u32("local1"),
        local2: r.u32("local2"),
      })),
    }),
    encode: (w, a) => {
      for (const c of a.communities) w.u32(c.global).u32(c.local1).u32(c.local2);
    },
  },
} as const satisfies AttributeTable;

/** The same table, typed so that an entry looked up by a generic type keeps its variant. */
const TABLE: AttributeTable = ATTRIBUTES;

const SPECS = Object.values(TABLE);

const BY_CODE = new Map(SPECS.map((spec) => [spec.code, spec]));

/** Type codes by the variant's name in PascalCase (AttrCode.MpReach is 14). */
export const AttrCode = Object.fromEntries(
  Object.entries(ATTRIBUTES).map(([type, spec]) => [
    type.charAt(0).toUpperCase() + type.slice(1),
    spec.code,
  ]),
) as { readonly [K in KnownType as Capitalize<K>]: (typeof ATTRIBUTES)[K]["code"] };

export const ATTR_NAMES: Record<number, string> = Object.fromEntries(
  SPECS.map((spec) => [spec.code, spec.name]),
);

export const attrName = (code: number): string => ATTR_NAMES[code] ?? `attribute ${code}`;

export const isKnownAttribute = (code: number): boolean => BY_CODE.has(code);

const BLANK_FLAGS_MASK = Flag.Optional | Flag.Transitive;

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
  const raw = { code, flags, value };
  const spec = BY_CODE.get(code);
  if (spec === undefined) {
    if (!(flags & Flag.Optional)) {
      throw new BgpError(
        ErrorCode.Update,
        UpdateError.UnrecognizedWellKnownAttribute,
        `well-known attribute type ${code} is not recognised`,
        Uint8Array.of(flags, code, ...(value.length < 256 ? [value.length] : [])),
      );
    }
    if (!(flags & Flag.Transitive)) return undefined;
    return { attr: opaque(raw) };
  }
  const malformed = (reason: string): { problem: AttributeProblem } => ({
    problem: { attribute: spec.name, action: spec.onMalformed, reason },
  });
  // Length rules and readSegments keep other decoders inside the value; only MP ones can overrun.
  const r = new Reader(value, (what) => mpError(code, `${what} is truncated`));
  if ((flags & BLANK_FLAGS_MASK) !== spec.flags) {
    if (spec.decodeDespiteFlags) spec.decode(r, ctx, raw);
    return malformed(`flags 0x${flags.toString(16)} conflict with the attribute type`);
  }
  const badLength = spec.length?.(value.length, ctx);
  if (badLength) return malformed(badLength);
  const decoded = spec.decode(r, ctx, raw);
  return typeof decoded === "string" ? malformed(decoded) : { attr: decoded };
}

export const codeOf = (a: PathAttribute): number =>
  a.type === "unknown" ? a.code : TABLE[a.type].code;

/** Generic so that the entry found by `type` is known to accept `a`. */
function encodeValue<K extends KnownType>(
  w: Writer,
  type: K,
  a: Variants[K],
  ctx: CodecContext,
): void {
  TABLE[type].encode(w, a, ctx);
}

/** Writes flags, type, length (extended when over 255 octets) and value. */
export function writeAttribute(w: Writer, a: PathAttribute, ctx: CodecContext): void {
  const value = new Writer(64);
  if (a.type === "unknown") value.bytes(a.value);
  else encodeValue(value, a.type, a, ctx);
  const base = a.type === "unknown" ? a.flags & 0xe0 : TABLE[a.type].flags;
  const long = value.length > 255;
  w.u8(base | (long ? Flag.ExtendedLength : 0)).u8(codeOf(a));
  if (long) w.u16(value.length);
  else w.u8(value.length);
  w.bytes(value.view());
}
