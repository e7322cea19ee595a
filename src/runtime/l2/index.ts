// The Layer 2 library's public surface (see docs/l2.md): answering ARP and NDP for addresses on
// interfaces, probing them for other owners, counting what it drops. It knows nothing of
// Kubernetes; the speaker tells it which addresses to answer for where.
export { currentInterfaces, NodeAnnouncers, type InterfaceFailure } from "./node-announcers.js";
export {
  InterfaceAnnouncer,
  DEFAULT_ANNOUNCE_AT_MS,
  type InterfaceAnnouncerOptions,
  type ProbeOptions,
  type ProbeResult,
} from "./interface-announcer.js";
export { selectInterfaces, type InterfaceFacts, type InterfaceSelection } from "./interfaces.js";
export type { IpCounters, L2CountersSnapshot } from "./counters.js";
export { l2Metrics, type L2Metrics } from "./metrics.js";
// The wire formats, for tools that craft or read frames (the lab's load generators, tests).
export { ARP_REQUEST, ARP_REPLY, buildArp, arpProbe, type ArpPacket } from "./arp.js";
export { neighborSolicitation, type NdpPacket } from "./ndp.js";
export { parseFrame, type L2Packet } from "./frame.js";
