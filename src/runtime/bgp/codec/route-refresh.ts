// ROUTE-REFRESH (RFC 2918) with the message subtypes of enhanced route refresh (RFC 7313).
import { BgpError, ErrorCode, HeaderError, RouteRefreshError } from "../errors.js";
import { HEADER_LENGTH, MessageType, sealMessage, startMessage } from "./header.js";

export interface RouteRefreshMessage {
  type: "routeRefresh";
  afi: number;
  safi: number;
  /** 0: a refresh request; 1/2: beginning/end of a refresh (RFC 7313). */
  subtype: number;
}

const LENGTH = HEADER_LENGTH + 4;

export function decodeRouteRefresh(msg: Buffer): RouteRefreshMessage {
  const subtype = msg[HEADER_LENGTH + 2] as number;
  if (msg.length !== LENGTH) {
    const data = Buffer.from(msg.subarray(0, Math.min(msg.length, 4096)));
    // With a subtype of RFC 7313 the length error has its own code; a plain request carrying
    // extra octets would be ORF (RFC 5291), which we never negotiate.
    if (subtype === 1 || subtype === 2) {
      throw new BgpError(
        ErrorCode.RouteRefresh,
        RouteRefreshError.InvalidMessageLength,
        `ROUTE-REFRESH of ${msg.length} octets, expected ${LENGTH}`,
        data,
      );
    }
    throw new BgpError(
      ErrorCode.MessageHeader,
      HeaderError.BadMessageLength,
      `ROUTE-REFRESH of ${msg.length} octets, expected ${LENGTH} (ORF is not supported)`,
      Uint8Array.of(msg.length >> 8, msg.length & 0xff),
    );
  }
  return {
    type: "routeRefresh",
    afi: msg.readUInt16BE(HEADER_LENGTH),
    subtype,
    safi: msg[HEADER_LENGTH + 3] as number,
  };
}

export function encodeRouteRefresh(m: Omit<RouteRefreshMessage, "type">): Buffer {
  const w = startMessage(MessageType.RouteRefresh, LENGTH);
  w.u16(m.afi).u8(m.subtype).u8(m.safi);
  return sealMessage(w);
}
