// OPEN (RFC 4271 §4.2) with optional parameters in the classic one-octet form or the RFC 9072
// extended form. Only syntax is checked here; whether the peer is acceptable is negotiate.ts.
import { BgpError, ErrorCode, HeaderError, OpenError } from "../errors.js";
import { Reader } from "./bytes.js";
import { readCapabilities, writeCapability, type Capability } from "./capabilities.js";
import { HEADER_LENGTH, MessageType, sealMessage, startMessage } from "./header.js";

export interface OpenMessage {
  type: "open";
  version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real ASN needs 4 octets). */
  myAs: number;
  holdTime: number;
  /** BGP Identifier as an unsigned 32-bit number. */
  bgpId: number;
  capabilities: Capability[];
}

const CAPABILITIES_PARAM = 2;
const EXTENDED_PARAMS = 255;

function lengthError(detail: string, length: number): BgpError {
  return new BgpError(
    ErrorCode.MessageHeader,
    HeaderError.BadMessageLength,
    `OPEN: ${detail}`,
    Uint8Array.of(length >> 8, length & 0xff),
  );
}

export function decodeOpen(msg: Buffer): OpenMessage {
  const overrun = (what: string) => lengthError(`${what} runs past the message`, msg.length);
  const r = new Reader(msg, overrun, HEADER_LENGTH);
  const version = r.u8("version");
  const myAs = r.u16("my AS");
  const holdTime = r.u16("hold time");
  const bgpId = r.u32("BGP identifier");
  let paramsLength = r.u8("optional parameters length");
  let extended = false;
  // RFC 9072: a non-zero length followed by parameter type 255 announces the extended form.
  if (paramsLength > 0 && msg[r.offset] === EXTENDED_PARAMS) {
    r.u8("extended parameters marker");
    paramsLength = r.u16("extended optional parameters length");
    extended = true;
  }
  if (paramsLength !== r.remaining) {
    throw lengthError(
      `optional parameters length ${paramsLength} does not match the ${r.remaining} octets left`,
      msg.length,
    );
  }
  const capabilities: Capability[] = [];
  while (r.remaining > 0) {
    const paramType = r.u8("parameter type");
    const paramLength = extended ? r.u16("parameter length") : r.u8("parameter length");
    const value = r.sub(paramLength, `optional parameter ${paramType}`);
    if (paramType !== CAPABILITIES_PARAM) {
      throw new BgpError(
        ErrorCode.Open,
        OpenError.UnsupportedOptionalParameter,
        `optional parameter type ${paramType} is not supported (only capabilities, type 2)`,
      );
    }
    capabilities.push(...readCapabilities(value));
  }
  return { type: "open", version, myAs, holdTime, bgpId, capabilities };
}

export function encodeOpen(m: OpenMessage): Buffer {
  const w = startMessage(MessageType.Open, 128);
  w.u8(m.version).u16(m.myAs).u16(m.holdTime).u32(m.bgpId);
  const lenAt = w.length;
  w.u8(0);
  // All capabilities in one parameter, as every modern speaker does.
  if (m.capabilities.length) {
    w.u8(CAPABILITIES_PARAM);
    const seal = w.lengthField(1);
    for (const c of m.capabilities) writeCapability(w, c);
    seal();
  }
  const paramsLength = w.length - lenAt - 1;
  if (paramsLength > 255) throw new Error("OPEN capabilities exceed 255 octets");
  const out = sealMessage(w);
  out[lenAt] = paramsLength;
  return out;
}
