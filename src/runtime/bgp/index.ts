// The native BGP speaker's public surface (see docs/bgp.md).
export { BgpSpeaker, type SpeakerOptions } from "./speaker.js";
export {
  BgpSession,
  checkPeerConfig,
  type PeerConfig,
  type SessionEvent,
  type SessionListener,
  type SessionStats,
} from "./session.js";
export { RouteError, canonicalRoutes, type Route } from "./route.js";
export {
  formatCommunity,
  formatLargeCommunity,
  parseCommunity,
  parseLargeCommunity,
} from "../../api/formats/community.js";
export type { BgpState } from "./fsm.js";
export type { Negotiated } from "./negotiate.js";
export { BgpError, CeaseError, describeNotification } from "./errors.js";
