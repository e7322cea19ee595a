// Every BGP message kind behind one decode and one encode.
import { BgpError, ErrorCode, HeaderError } from "../errors.js";
import type { CodecContext } from "./attributes.js";
import { HEADER_LENGTH, MessageType, checkHeader, sealMessage, startMessage } from "./header.js";
import {
  decodeNotification,
  encodeNotification,
  type NotificationMessage,
} from "./notification.js";
import { decodeOpen, encodeOpen, type OpenMessage } from "./open.js";
import {
  decodeRouteRefresh,
  encodeRouteRefresh,
  type RouteRefreshMessage,
} from "./route-refresh.js";
import { decodeUpdate, encodeUpdate, type DecodedUpdate, type UpdateMessage } from "./update.js";

export interface KeepaliveMessage {
  type: "keepalive";
}

export type BgpMessage =
  OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

/** What a received message decodes to: UPDATEs come with their RFC 7606 verdict. */
export type DecodedMessage = Exclude<BgpMessage, UpdateMessage> | DecodedUpdate;

/**
 * Decodes one whole message (header included). Throws only BgpError, which names the
 * NOTIFICATION to send.
 */
export function decodeMessage(msg: Buffer, ctx: CodecContext): DecodedMessage {
  if (msg.length < HEADER_LENGTH) {
    throw new BgpError(
      ErrorCode.MessageHeader,
      HeaderError.BadMessageLength,
      `${msg.length} octets cannot hold a message header`,
      Uint8Array.of(msg.length >> 8, msg.length & 0xff),
    );
  }
  const { type, length } = checkHeader(msg);
  if (length !== msg.length) {
    throw new BgpError(
      ErrorCode.MessageHeader,
      HeaderError.BadMessageLength,
      `the header says ${length} octets, the message has ${msg.length}`,
      Uint8Array.of(length >> 8, length & 0xff),
    );
  }
  switch (type) {
    case MessageType.Open:
      return decodeOpen(msg);
    case MessageType.Update:
      return decodeUpdate(msg, ctx);
    case MessageType.Notification:
      return decodeNotification(msg);
    case MessageType.Keepalive:
      return { type: "keepalive" };
    case MessageType.RouteRefresh:
      return decodeRouteRefresh(msg);
  }
}

export const KEEPALIVE: Buffer = sealMessage(startMessage(MessageType.Keepalive, 19));

export function encodeMessage(m: BgpMessage, ctx: CodecContext): Buffer {
  switch (m.type) {
    case "open":
      return encodeOpen(m);
    case "update":
      return encodeUpdate(m, ctx);
    case "notification":
      return encodeNotification(m);
    case "keepalive":
      return Buffer.from(KEEPALIVE);
    case "routeRefresh":
      return encodeRouteRefresh(m);
  }
}
