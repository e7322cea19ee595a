// ARP over Ethernet for IPv4 (RFC 826): parsing received frames and building requests, replies,
// probes (RFC 5227) and announcements.
import { drop, type Dropped } from "./drop.js";
import {
  BROADCAST_MAC,
  ETH_HEADER,
  ETHERTYPE_ARP,
  PADDED_LIMIT,
  ZERO_MAC,
  formatMac,
  isUnicastMac,
  macBytes,
  writeEthernetHeader,
} from "./ethernet.js";
import { ipTextAt, textToBytes } from "./ip-bytes.js";

export const ARP_FRAME = ETH_HEADER + 28;
const HTYPE_ETHERNET = 1;
const PTYPE_IPV4 = 0x0800;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export interface ArpPacket {
  kind: "arp";
  op: "request" | "reply";
  ethSrc: string;
  ethDst: string;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/**
 * Parses an Ethernet frame holding ARP for IPv4 over Ethernet. `wireLength` is the frame's length
 * on the wire when the receive buffer may have cut it. Never throws.
 */
export function parseArp(
  frame: Uint8Array,
  wireLength = frame.length,
): { ok: true; packet: ArpPacket } | Dropped {
  if (wireLength < ARP_FRAME || frame.length < ARP_FRAME)
    return drop("truncated", `ARP frame of ${frame.length} bytes, need ${ARP_FRAME}`);
  // Ethernet pads short frames to 60 bytes; anything longer than a padded frame is not ARP.
  if (wireLength > PADDED_LIMIT)
    return drop("oversized", `ARP frame of ${wireLength} bytes, at most ${PADDED_LIMIT}`);
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  if (b.readUInt16BE(12) !== ETHERTYPE_ARP) return drop("unsupported", "not an ARP frame");
  const htype = b.readUInt16BE(14);
  const ptype = b.readUInt16BE(16);
  if (htype !== HTYPE_ETHERNET || ptype !== PTYPE_IPV4 || b[18] !== 6 || b[19] !== 4)
    return drop(
      "malformed",
      `ARP for hardware ${htype}/${b[18]} and protocol 0x${ptype.toString(16)}/${b[19]}, want Ethernet/6 and IPv4/4`,
    );
  const op = b.readUInt16BE(20);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return drop("malformed", `ARP operation ${op}`);
  if (!isUnicastMac(b, 22))
    return drop("malformed", `ARP sender hardware address ${formatMac(b, 22)} is not unicast`);
  return {
    ok: true,
    packet: {
      kind: "arp",
      op: op === ARP_REQUEST ? "request" : "reply",
      ethDst: formatMac(b, 0),
      ethSrc: formatMac(b, 6),
      senderMac: formatMac(b, 22),
      senderIp: ipTextAt(b, 28, 4),
      targetMac: formatMac(b, 32),
      targetIp: ipTextAt(b, 38, 4),
    },
  };
}

export interface ArpFields {
  op: typeof ARP_REQUEST | typeof ARP_REPLY;
  ethDst: string;
  ethSrc: string;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export function buildArp(f: ArpFields): Buffer {
  const b = Buffer.alloc(ARP_FRAME);
  writeEthernetHeader(b, f.ethDst, f.ethSrc, ETHERTYPE_ARP);
  b.writeUInt16BE(HTYPE_ETHERNET, 14);
  b.writeUInt16BE(PTYPE_IPV4, 16);
  b[18] = 6;
  b[19] = 4;
  b.writeUInt16BE(f.op, 20);
  macBytes(f.senderMac).copy(b, 22);
  textToBytes(f.senderIp).copy(b, 28);
  macBytes(f.targetMac).copy(b, 32);
  textToBytes(f.targetIp).copy(b, 38);
  return b;
}

/** The reply to `req` claiming `req.targetIp` for `mac`, sent back to the requester only. */
export const arpReply = (req: ArpPacket, mac: string): Buffer =>
  buildArp({
    op: ARP_REPLY,
    ethDst: req.senderMac,
    ethSrc: mac,
    senderMac: mac,
    senderIp: req.targetIp,
    targetMac: req.senderMac,
    targetIp: req.senderIp,
  });

/**
 * Gratuitous ARP for `ip`, broadcast. The request form is RFC 5227's ARP Announcement (sender IP =
 * target IP, target MAC zero); the reply form carries our MAC as target MAC too, which is what
 * Linux requires to treat a reply as gratuitous and override a recent entry.
 */
export const gratuitousArp = (ip: string, mac: string, form: "request" | "reply"): Buffer =>
  buildArp({
    op: form === "request" ? ARP_REQUEST : ARP_REPLY,
    ethDst: BROADCAST_MAC,
    ethSrc: mac,
    senderMac: mac,
    senderIp: ip,
    targetMac: form === "request" ? ZERO_MAC : mac,
    targetIp: ip,
  });

/** RFC 5227 ARP Probe: "who has ip?" from sender IP 0.0.0.0, so no cache learns from it. */
export const arpProbe = (ip: string, mac: string): Buffer =>
  buildArp({
    op: ARP_REQUEST,
    ethDst: BROADCAST_MAC,
    ethSrc: mac,
    senderMac: mac,
    senderIp: "0.0.0.0",
    targetMac: ZERO_MAC,
    targetIp: ip,
  });
