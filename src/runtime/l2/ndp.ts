// Neighbor Discovery for IPv6 (RFC 4861): Neighbor Solicitations and Advertisements in Ethernet
// frames, with the ICMPv6 checksum and the link-layer address options. Parsing applies the
// validity checks of RFC 4861 §7.1 and never throws.
import { drop, type Dropped } from "./drop.js";
import {
  ETH_HEADER,
  ETHERTYPE_IPV6,
  PADDED_LIMIT,
  formatMac,
  isUnicastMac,
  macBytes,
  writeEthernetHeader,
} from "./ethernet.js";
import { ipTextAt, textToBytes } from "./ip-bytes.js";

const IP6_HEADER = 40;
const ICMP = ETH_HEADER + IP6_HEADER; // offset of the ICMPv6 message
const NEXT_HEADER_ICMPV6 = 58;
export const NS = 135;
export const NA = 136;
const NDP_BODY = 24; // type, code, checksum, flags/reserved, target
const OPT_SOURCE_LLA = 1;
const OPT_TARGET_LLA = 2;
const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

export const ALL_NODES = "ff02::1";
export const UNSPECIFIED = "::";

export interface NeighborSolicitation {
  kind: "ns";
  ethSrc: string;
  ethDst: string;
  srcIp: string;
  dstIp: string;
  target: string;
  /** Source link-layer address option, when present. */
  sourceMac?: string;
}

export interface NeighborAdvertisement {
  kind: "na";
  ethSrc: string;
  ethDst: string;
  srcIp: string;
  dstIp: string;
  target: string;
  /** Target link-layer address option, when present. */
  targetMac?: string;
  router: boolean;
  solicited: boolean;
  override: boolean;
}

export type NdpPacket = NeighborSolicitation | NeighborAdvertisement;

/** The ICMPv6 checksum over the pseudo-header and `icmp` (its checksum field taken as zero). */
export function icmpv6Checksum(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array): number {
  let sum = 0;
  const add16 = (b: Uint8Array, skip = -1) => {
    for (let i = 0; i < b.length; i += 2) {
      if (i === skip) continue;
      sum += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
    }
  };
  add16(src);
  add16(dst);
  sum += (icmp.length >>> 16) + (icmp.length & 0xffff) + NEXT_HEADER_ICMPV6;
  add16(icmp, 2);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const isMulticast6 = (b: Uint8Array, off: number) => b[off] === 0xff;
const isUnspecified6 = (b: Uint8Array, off: number) => {
  for (let i = 0; i < 16; i++) if (b[off + i] !== 0) return false;
  return true;
};

/** ff02::1:ffXX:XXXX for the last 24 bits of `ip`. */
export function solicitedNodeBytes(ip: Uint8Array): Buffer {
  const g = Buffer.alloc(16);
  g[0] = 0xff;
  g[1] = 0x02;
  g[11] = 0x01;
  g[12] = 0xff;
  g[13] = ip[13] ?? 0;
  g[14] = ip[14] ?? 0;
  g[15] = ip[15] ?? 0;
  return g;
}

/** The Ethernet multicast MAC of an IPv6 group (RFC 2464): 33:33 and its last 32 bits. */
export const ipv6MulticastMac = (group: Uint8Array): string =>
  formatMac(
    Buffer.from([0x33, 0x33, group[12] ?? 0, group[13] ?? 0, group[14] ?? 0, group[15] ?? 0]),
  );

function isSolicitedNodeOf(dst: Uint8Array, off: number, target: Uint8Array, toff: number) {
  const want = solicitedNodeBytes(target.subarray(toff, toff + 16));
  for (let i = 0; i < 16; i++) if (dst[off + i] !== want[i]) return false;
  return true;
}

/** Parses an Ethernet frame holding an IPv6 Neighbor Solicitation or Advertisement. */
export function parseNdp(
  frame: Uint8Array,
  wireLength = frame.length,
): { ok: true; packet: NdpPacket } | Dropped {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  if (b.length < ICMP + NDP_BODY || wireLength < ICMP + NDP_BODY)
    return drop("truncated", `NDP frame of ${b.length} bytes, need ${ICMP + NDP_BODY}`);
  if (b.readUInt16BE(12) !== ETHERTYPE_IPV6) return drop("unsupported", "not an IPv6 frame");
  if (b[ETH_HEADER]! >> 4 !== 6) return drop("malformed", `IP version ${b[ETH_HEADER]! >> 4}`);
  if (b[ETH_HEADER + 6] !== NEXT_HEADER_ICMPV6)
    return drop("unsupported", `IPv6 next header ${b[ETH_HEADER + 6]}, not ICMPv6`);
  const payload = b.readUInt16BE(ETH_HEADER + 4);
  const end = ICMP + payload;
  if (payload < NDP_BODY) return drop("malformed", `ICMPv6 length ${payload}, need ${NDP_BODY}`);
  if (end > b.length || end > wireLength)
    return drop("truncated", `IPv6 payload of ${payload} bytes, frame holds ${b.length - ICMP}`);
  // Bytes after the IPv6 payload can only be Ethernet padding of a short frame.
  if (wireLength > Math.max(end, PADDED_LIMIT))
    return drop("oversized", `${wireLength - end} bytes after the IPv6 payload`);
  const type = b[ICMP];
  if (type !== NS && type !== NA) return drop("unsupported", `ICMPv6 type ${type}`);
  if (b[ETH_HEADER + 7] !== 255)
    return drop("malformed", `hop limit ${b[ETH_HEADER + 7]}, NDP requires 255`);
  if (b[ICMP + 1] !== 0) return drop("malformed", `ICMPv6 code ${b[ICMP + 1]}, want 0`);
  const src = b.subarray(ETH_HEADER + 8, ETH_HEADER + 24);
  const dst = b.subarray(ETH_HEADER + 24, ICMP);
  const icmp = b.subarray(ICMP, end);
  const sum = icmpv6Checksum(src, dst, icmp);
  if (sum !== b.readUInt16BE(ICMP + 2)) return drop("malformed", "ICMPv6 checksum mismatch");
  const targetOff = ICMP + 8;
  if (isMulticast6(b, targetOff)) return drop("malformed", "NDP target is a multicast address");

  let sourceMac: string | undefined;
  let targetMac: string | undefined;
  for (let o = ICMP + NDP_BODY; o < end;) {
    if (o + 2 > end) return drop("malformed", "NDP option header cut short");
    const len = b[o + 1]! * 8;
    if (len === 0) return drop("malformed", "NDP option of length 0");
    if (o + len > end) return drop("malformed", "NDP option runs past the message");
    if (b[o] === OPT_SOURCE_LLA || b[o] === OPT_TARGET_LLA) {
      if (len !== 8) return drop("malformed", `link-layer address option of ${len} bytes`);
      if (!isUnicastMac(b, o + 2))
        return drop("malformed", `link-layer address ${formatMac(b, o + 2)} is not unicast`);
      if (b[o] === OPT_SOURCE_LLA) sourceMac = formatMac(b, o + 2);
      else targetMac = formatMac(b, o + 2);
    }
    o += len;
  }

  const common = {
    ethDst: formatMac(b, 0),
    ethSrc: formatMac(b, 6),
    srcIp: ipTextAt(b, ETH_HEADER + 8, 6),
    dstIp: ipTextAt(b, ETH_HEADER + 24, 6),
    target: ipTextAt(b, targetOff, 6),
  };
  if (type === NS) {
    if (isUnspecified6(b, ETH_HEADER + 8)) {
      if (!isSolicitedNodeOf(b, ETH_HEADER + 24, b, targetOff))
        return drop("malformed", "NS from :: not sent to the target's solicited-node address");
      if (sourceMac) return drop("malformed", "NS from :: carries a source link-layer address");
    }
    return { ok: true, packet: { kind: "ns", ...common, ...(sourceMac ? { sourceMac } : {}) } };
  }
  const flags = b[ICMP + 4]!;
  const solicited = (flags & FLAG_SOLICITED) !== 0;
  if (solicited && isMulticast6(b, ETH_HEADER + 24))
    return drop("malformed", "solicited NA sent to a multicast address");
  return {
    ok: true,
    packet: {
      kind: "na",
      ...common,
      ...(targetMac ? { targetMac } : {}),
      router: (flags & FLAG_ROUTER) !== 0,
      solicited,
      override: (flags & FLAG_OVERRIDE) !== 0,
    },
  };
}

interface NdpFields {
  ethDst: string;
  ethSrc: string;
  srcIp: string;
  dstIp: string;
  target: string;
  /** Flags byte of an NA (R/S/O); 0 for an NS. */
  flags: number;
  /** The link-layer address option (source for NS, target for NA); none when undefined. */
  optionMac: string | undefined;
}

function buildNdp(type: typeof NS | typeof NA, f: NdpFields): Buffer {
  const icmpLen = NDP_BODY + (f.optionMac ? 8 : 0);
  const b = Buffer.alloc(ICMP + icmpLen);
  writeEthernetHeader(b, f.ethDst, f.ethSrc, ETHERTYPE_IPV6);
  b[ETH_HEADER] = 0x60;
  b.writeUInt16BE(icmpLen, ETH_HEADER + 4);
  b[ETH_HEADER + 6] = NEXT_HEADER_ICMPV6;
  b[ETH_HEADER + 7] = 255;
  const src = textToBytes(f.srcIp);
  const dst = textToBytes(f.dstIp);
  src.copy(b, ETH_HEADER + 8);
  dst.copy(b, ETH_HEADER + 24);
  b[ICMP] = type;
  b[ICMP + 4] = f.flags;
  textToBytes(f.target).copy(b, ICMP + 8);
  if (f.optionMac) {
    b[ICMP + NDP_BODY] = type === NS ? OPT_SOURCE_LLA : OPT_TARGET_LLA;
    b[ICMP + NDP_BODY + 1] = 1;
    macBytes(f.optionMac).copy(b, ICMP + NDP_BODY + 2);
  }
  b.writeUInt16BE(icmpv6Checksum(src, dst, b.subarray(ICMP)), ICMP + 2);
  return b;
}

/**
 * The advertisement answering `ns` for its target with `mac`. A solicitation from :: (duplicate
 * address detection) is answered to all-nodes with S=0 (RFC 4861 §7.2.4); otherwise to the
 * solicitor, with S=1. Override is set: we are the address's owner, not a proxy.
 */
export function neighborAdvertisementFor(ns: NeighborSolicitation, mac: string): Buffer {
  const dad = ns.srcIp === UNSPECIFIED;
  return buildNdp(NA, {
    ethDst: dad ? ipv6MulticastMac(textToBytes(ALL_NODES)) : (ns.sourceMac ?? ns.ethSrc),
    ethSrc: mac,
    srcIp: ns.target,
    dstIp: dad ? ALL_NODES : ns.srcIp,
    target: ns.target,
    flags: FLAG_OVERRIDE | (dad ? 0 : FLAG_SOLICITED),
    optionMac: mac,
  });
}

/** Unsolicited NA (RFC 4861 §7.2.6) to all-nodes with Override, so caches move to `mac`. */
export const unsolicitedAdvertisement = (ip: string, mac: string): Buffer =>
  buildNdp(NA, {
    ethDst: ipv6MulticastMac(textToBytes(ALL_NODES)),
    ethSrc: mac,
    srcIp: ip,
    dstIp: ALL_NODES,
    target: ip,
    flags: FLAG_OVERRIDE,
    optionMac: mac,
  });

/** A solicitation for `target` to its solicited-node group, optionally from `srcIp` with `mac`. */
export function neighborSolicitation(target: string, mac: string, srcIp = UNSPECIFIED): Buffer {
  const group = solicitedNodeBytes(textToBytes(target));
  return buildNdp(NS, {
    ethDst: ipv6MulticastMac(group),
    ethSrc: mac,
    srcIp,
    dstIp: ipTextAt(group, 0, 6),
    target,
    flags: 0,
    // RFC 4861 §7.2.2: no source link-layer address when the source is unspecified.
    optionMac: srcIp === UNSPECIFIED ? undefined : mac,
  });
}
