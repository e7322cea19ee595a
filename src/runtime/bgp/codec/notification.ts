// NOTIFICATION (RFC 4271 §4.5), with the shutdown communication of RFC 9003 decoded for logs.
import { CeaseError, ErrorCode, describeNotification } from "../errors.js";
import { HEADER_LENGTH, MessageType, sealMessage, startMessage } from "./header.js";

export interface NotificationMessage {
  type: "notification";
  code: number;
  subcode: number;
  data: Buffer;
}

export function decodeNotification(msg: Buffer): NotificationMessage {
  return {
    type: "notification",
    code: msg[HEADER_LENGTH] as number,
    subcode: msg[HEADER_LENGTH + 1] as number,
    data: Buffer.from(msg.subarray(HEADER_LENGTH + 2)),
  };
}

export function encodeNotification(m: Omit<NotificationMessage, "type">): Buffer {
  const w = startMessage(MessageType.Notification, 21 + m.data.length);
  w.u8(m.code).u8(m.subcode).bytes(m.data);
  return sealMessage(w);
}

const SHUTDOWN_SUBCODES = new Set<number>([
  CeaseError.AdministrativeShutdown,
  CeaseError.AdministrativeReset,
]);

/** RFC 9003: Cease/shutdown and Cease/reset may carry a UTF-8 message of up to 255 octets. */
export function shutdownCommunication(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8").subarray(0, 255);
  // Never cut a multi-byte character in half.
  const clean = Buffer.from(bytes.toString("utf8").replace(/\uFFFD$/, ""), "utf8");
  return Buffer.concat([Buffer.of(clean.length), clean]);
}

/** One line for logs and session-down reasons, with the shutdown message when there is one. */
export function describeNotificationMessage(m: Omit<NotificationMessage, "type">): string {
  const base = describeNotification(m.code, m.subcode);
  if (m.code !== ErrorCode.Cease || !SHUTDOWN_SUBCODES.has(m.subcode) || m.data.length < 1)
    return base;
  const length = m.data[0] as number;
  if (length === 0 || length + 1 > m.data.length) return base;
  return `${base}: "${m.data.subarray(1, 1 + length).toString("utf8")}"`;
}
