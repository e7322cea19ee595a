// The 19-octet message header (RFC 4271 §4.1) and the framing of a TCP byte stream into
// messages, with the §6.1 header checks done as soon as a header is complete.
import { BgpError, ErrorCode, HeaderError } from "../errors.js";
import { Writer } from "./bytes.js";

export const MessageType = {
  Open: 1,
  Update: 2,
  Notification: 3,
  Keepalive: 4,
  RouteRefresh: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

export const HEADER_LENGTH = 19;
/** RFC 4271 maximum; we never negotiate RFC 8654 extended messages. */
export const MAX_MESSAGE_LENGTH = 4096;

/** Smallest legal length per type (RFC 4271 §6.1; ROUTE-REFRESH per RFC 2918). */
const MIN_LENGTH: Record<MessageTypeCode, number> = {
  1: 29,
  2: 23,
  3: 21,
  4: 19,
  5: 23,
};

const u16 = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);

function badLength(length: number, detail: string): BgpError {
  return new BgpError(ErrorCode.MessageHeader, HeaderError.BadMessageLength, detail, u16(length));
}

/** A Writer holding the header of a message of this type; `sealMessage` fills the length. */
export function startMessage(type: MessageTypeCode, sizeHint = 64): Writer {
  const w = new Writer(sizeHint);
  for (let i = 0; i < 16; i++) w.u8(0xff);
  w.u16(0).u8(type);
  return w;
}

export function sealMessage(w: Writer): Buffer {
  if (w.length > MAX_MESSAGE_LENGTH) {
    throw new Error(`BGP message of ${w.length} octets exceeds ${MAX_MESSAGE_LENGTH}`);
  }
  w.patchU16(16, w.length);
  return w.finish();
}

/** Checks a complete header; returns the message type and total length. */
export function checkHeader(buf: Buffer): { type: MessageTypeCode; length: number } {
  for (let i = 0; i < 16; i++) {
    if (buf[i] !== 0xff) {
      throw new BgpError(
        ErrorCode.MessageHeader,
        HeaderError.ConnectionNotSynchronized,
        "the marker is not all ones",
      );
    }
  }
  const length = buf.readUInt16BE(16);
  const type = buf[18] as number;
  if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH) {
    throw badLength(length, `length ${length} is outside ${HEADER_LENGTH}..${MAX_MESSAGE_LENGTH}`);
  }
  if (!(type in MIN_LENGTH)) {
    throw new BgpError(
      ErrorCode.MessageHeader,
      HeaderError.BadMessageType,
      `unknown message type ${type}`,
      Uint8Array.of(type),
    );
  }
  const t = type as MessageTypeCode;
  if (length < MIN_LENGTH[t] || (t === MessageType.Keepalive && length !== HEADER_LENGTH)) {
    throw badLength(length, `length ${length} is impossible for a message of type ${type}`);
  }
  return { type: t, length };
}

/** Splits a byte stream into whole messages; throws the header's BgpError on a bad header. */
export class Framer {
  private pending: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.size += chunk.length;
    const out: Buffer[] = [];
    while (this.size >= HEADER_LENGTH) {
      const head = this.peek(HEADER_LENGTH);
      const { length } = checkHeader(head);
      if (this.size < length) break;
      out.push(this.take(length));
    }
    return out;
  }

  private peek(n: number): Buffer {
    if ((this.pending[0]?.length ?? 0) < n) this.pending = [Buffer.concat(this.pending)];
    return (this.pending[0] as Buffer).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all =
      this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    const msg = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.size -= n;
    return msg;
  }
}
