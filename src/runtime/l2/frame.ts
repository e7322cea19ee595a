// One entry point for received frames: ARP or NDP, or a counted reason to drop.
import { parseArp, type ArpPacket } from "./arp.js";
import { drop, type Dropped } from "./drop.js";
import { ETH_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from "./ethernet.js";
import { parseNdp, type NdpPacket } from "./ndp.js";

export type L2Packet = ArpPacket | NdpPacket;

export function parseFrame(
  frame: Uint8Array,
  wireLength = frame.length,
): { ok: true; packet: L2Packet } | Dropped {
  if (frame.length < ETH_HEADER) return drop("truncated", `frame of ${frame.length} bytes`);
  const type = ((frame[12] ?? 0) << 8) | (frame[13] ?? 0);
  if (type === ETHERTYPE_ARP) return parseArp(frame, wireLength);
  if (type === ETHERTYPE_IPV6) return parseNdp(frame, wireLength);
  return drop("unsupported", `ethertype 0x${type.toString(16)}`);
}
