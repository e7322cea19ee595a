// What to do with a received ARP/NDP packet, given the addresses this interface owns: the pure
// core of the responders.
import { arpReply } from "./arp.js";
import type { L2Packet } from "./frame.js";
import { neighborAdvertisementFor } from "./ndp.js";

/** A request for an owned address and the frame that answers it. */
export interface Reply {
  ip: string;
  frame: Buffer;
}

/**
 * Answers ARP requests (RFC 826) and Neighbor Solicitations (RFC 4861) whose target is owned,
 * with `mac`. ARP probes (sender 0.0.0.0) and DAD solicitations (from ::) for an owned address
 * are answered too: that is how an owner defends its address.
 */
export function replyTo(
  packet: L2Packet,
  mac: string,
  owned: ReadonlySet<string>,
): Reply | undefined {
  if (packet.kind === "arp") {
    if (packet.op !== "request" || !owned.has(packet.targetIp)) return undefined;
    // A request whose sender and target IP are the same is an announcement, not a question.
    if (packet.senderIp === packet.targetIp) return undefined;
    return { ip: packet.targetIp, frame: arpReply(packet, mac) };
  }
  if (packet.kind === "ns" && owned.has(packet.target))
    return { ip: packet.target, frame: neighborAdvertisementFor(packet, mac) };
  return undefined;
}

/** The address-to-MAC binding a packet asserts, if any (what a neighbour cache would learn). */
export function claimOf(packet: L2Packet): { ip: string; mac: string } | undefined {
  if (packet.kind === "arp")
    return packet.senderIp === "0.0.0.0"
      ? undefined
      : { ip: packet.senderIp, mac: packet.senderMac };
  if (packet.kind === "na") return { ip: packet.target, mac: packet.targetMac ?? packet.ethSrc };
  return undefined;
}
