// AS_PATH and AS4_PATH segments (RFC 4271 §4.3, RFC 5065, RFC 6793) and the reconstruction of
// the real path from AS_PATH + AS4_PATH on sessions without 4-octet AS support (RFC 6793 §4.2.3).
import type { Reader, Writer } from "./bytes.js";

/** RFC 6793: the 2-octet placeholder for an AS number that needs 4 octets. */
export const AS_TRANS = 23456;

export type SegmentType = "set" | "sequence" | "confedSequence" | "confedSet";

export interface AsPathSegment {
  type: SegmentType;
  asns: number[];
}

const CODES: Record<SegmentType, number> = {
  set: 1,
  sequence: 2,
  confedSequence: 3,
  confedSet: 4,
};
const TYPES: Record<number, SegmentType> = {
  1: "set",
  2: "sequence",
  3: "confedSequence",
  4: "confedSet",
};

/** The segments, or why the attribute is malformed (RFC 7606 §7.2). */
export function readSegments(r: Reader, asnOctets: 2 | 4): AsPathSegment[] | string {
  const segments: AsPathSegment[] = [];
  while (r.remaining > 0) {
    if (r.remaining < 2) return "a segment header is truncated";
    const code = r.u8("segment type");
    const count = r.u8("segment length");
    const type = TYPES[code];
    if (!type) return `unknown segment type ${code}`;
    if (count === 0) return `a ${type} segment is empty`;
    if (count * asnOctets > r.remaining) {
      return `a ${type} segment of ${count} ASNs overruns the attribute`;
    }
    const asns: number[] = [];
    for (let i = 0; i < count; i++) asns.push(asnOctets === 4 ? r.u32("asn") : r.u16("asn"));
    segments.push({ type, asns });
  }
  return segments;
}

export function writeSegments(w: Writer, segments: AsPathSegment[], asnOctets: 2 | 4): void {
  for (const s of segments) {
    if (s.asns.length === 0 || s.asns.length > 255) {
      throw new Error(`AS_PATH segment must hold 1..255 ASNs, not ${s.asns.length}`);
    }
    w.u8(CODES[s.type]).u8(s.asns.length);
    for (const asn of s.asns) {
      if (asnOctets === 2) {
        if (asn > 0xffff) throw new Error(`ASN ${asn} needs 4 octets; substitute AS_TRANS`);
        w.u16(asn);
      } else w.u32(asn);
    }
  }
}

/** Path length as used in best-path selection: a set counts one, confederation segments none. */
export function pathLength(segments: AsPathSegment[]): number {
  return segments.reduce(
    (n, s) => n + (s.type === "sequence" ? s.asns.length : s.type === "set" ? 1 : 0),
    0,
  );
}

/** The 2-octet form of a path: ASNs above 65535 become AS_TRANS. */
export const toTwoOctet = (segments: AsPathSegment[]): AsPathSegment[] =>
  segments.map((s) => ({ type: s.type, asns: s.asns.map((a) => (a > 0xffff ? AS_TRANS : a)) }));

export const needsFourOctets = (segments: AsPathSegment[]): boolean =>
  segments.some((s) => s.asns.some((a) => a > 0xffff));

/**
 * RFC 6793 §4.2.3: when AS_PATH holds at least as many ASNs as AS4_PATH (a set counts one,
 * confederation segments none), the real path is the leading ASNs of AS_PATH (those added by
 * 2-octet speakers) followed by AS4_PATH; otherwise AS4_PATH is ignored.
 */
export function mergeAs4Path(asPath: AsPathSegment[], as4Path: AsPathSegment[]): AsPathSegment[] {
  const extra = pathLength(asPath) - pathLength(as4Path);
  if (extra < 0) return asPath;
  const lead: AsPathSegment[] = [];
  let left = extra;
  for (const s of asPath) {
    if (left === 0) break;
    if (s.type === "sequence") {
      const take = s.asns.slice(0, left);
      lead.push({ type: s.type, asns: take });
      left -= take.length;
    } else {
      lead.push(s);
      if (s.type === "set") left -= 1;
    }
  }
  return [...lead, ...as4Path];
}
