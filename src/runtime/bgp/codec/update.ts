// UPDATE (RFC 4271 §4.3) with RFC 7606 error handling: the message is split by its length
// fields, every attribute is judged on its own, and the result is a verdict — accept, or
// treat-as-withdraw — plus the discarded attributes; only errors that hide where the NLRI is
// throw a BgpError (session reset).
import { BgpError, ErrorCode, UpdateError } from "../errors.js";
import { Reader, Writer } from "./bytes.js";
import {
  AttrCode,
  Flag,
  attrName,
  readAttribute,
  writeAttribute,
  type AttributeProblem,
  type CodecContext,
  type PathAttribute,
} from "./attributes.js";
import { HEADER_LENGTH, MessageType, sealMessage, startMessage } from "./header.js";
import { AFI, SAFI_UNICAST, readPrefixes, writePrefix, type Prefix } from "./prefix.js";
import type { Family } from "../../../api/formats/ip.js";

export interface UpdateMessage {
  type: "update";
  /** IPv4 unicast withdrawals (IPv6 ones travel in MP_UNREACH_NLRI). */
  withdrawn: Prefix[];
  attributes: PathAttribute[];
  /** IPv4 unicast announcements (IPv6 ones travel in MP_REACH_NLRI). */
  nlri: Prefix[];
}

export type UpdateVerdict = "accept" | "treat-as-withdraw";

export interface DecodedUpdate {
  type: "update";
  /** The update as it should be processed: malformed and discarded attributes are removed. */
  message: UpdateMessage;
  verdict: UpdateVerdict;
  problems: AttributeProblem[];
}

const listError = (detail: string) =>
  new BgpError(ErrorCode.Update, UpdateError.MalformedAttributeList, detail);

/** Splits the attribute block; returns the attributes and problems, or the reason it broke. */
function readAttributes(
  r: Reader,
  ctx: CodecContext,
): { attributes: PathAttribute[]; problems: AttributeProblem[]; broken?: string } {
  const attributes: PathAttribute[] = [];
  const problems: AttributeProblem[] = [];
  const seen = new Set<number>();
  while (r.remaining > 0) {
    if (r.remaining < 3)
      return { attributes, problems, broken: "an attribute header is truncated" };
    const flags = r.u8("flags");
    const code = r.u8("type");
    const extended = (flags & Flag.ExtendedLength) !== 0;
    if (extended && r.remaining < 2) {
      return { attributes, problems, broken: `${attrName(code)} length is truncated` };
    }
    const length = extended ? r.u16("length") : r.u8("length");
    if (length > r.remaining) {
      return {
        attributes,
        problems,
        broken: `${attrName(code)} length ${length} overruns the attributes by ${length - r.remaining}`,
      };
    }
    const value = r.bytes(length, "value");
    if (seen.has(code)) {
      if (code === AttrCode.MpReach || code === AttrCode.MpUnreach) {
        throw listError(`${attrName(code)} appears more than once`);
      }
      problems.push({ attribute: attrName(code), action: "discard", reason: "repeated attribute" });
      continue;
    }
    seen.add(code);
    const parsed = readAttribute(code, flags, value, ctx);
    if (!parsed) continue;
    if ("problem" in parsed) problems.push(parsed.problem);
    else attributes.push(parsed.attr);
  }
  return { attributes, problems };
}

function missingMandatory(m: UpdateMessage, problems: AttributeProblem[]): AttributeProblem[] {
  const reach = m.attributes.find((a) => a.type === "mpReach");
  const announces = m.nlri.length > 0 || (reach?.type === "mpReach" && reach.nlri.length > 0);
  if (!announces) return [];
  const needed: [PathAttribute["type"], string][] = [
    ["origin", "ORIGIN"],
    ["asPath", "AS_PATH"],
  ];
  if (m.nlri.length > 0) needed.push(["nextHop", "NEXT_HOP"]);
  return needed
    .filter(
      ([type, name]) =>
        !m.attributes.some((a) => a.type === type) && !problems.some((p) => p.attribute === name),
    )
    .map(([, name]) => ({
      attribute: name,
      action: "treat-as-withdraw" as const,
      reason: "missing well-known mandatory attribute",
    }));
}

export function decodeUpdate(msg: Buffer, ctx: CodecContext): DecodedUpdate {
  const r = new Reader(msg, (what) => listError(`${what} runs past the message`), HEADER_LENGTH);
  const withdrawnLength = r.u16("withdrawn routes length");
  const withdrawnField = r.sub(withdrawnLength, "withdrawn routes");
  const attrLength = r.u16("total path attribute length");
  const attrField = r.sub(attrLength, "path attributes");
  const withdrawn = readPrefixes(withdrawnField, 4, (d) => listError(`withdrawn routes: ${d}`));
  const nlri = readPrefixes(
    r,
    4,
    (d) => new BgpError(ErrorCode.Update, UpdateError.InvalidNetworkField, `NLRI: ${d}`),
  );
  const { attributes, problems, broken } = readAttributes(attrField, ctx);
  const message: UpdateMessage = { type: "update", withdrawn, attributes, nlri };
  if (broken) {
    // The NLRI field is still located by the total length; an MP attribute lost in the broken
    // tail is not, so without one located there is nothing safe to withdraw.
    const located =
      nlri.length > 0 || attributes.some((a) => a.type === "mpReach" || a.type === "mpUnreach");
    if (!located) throw listError(broken);
    problems.push({ attribute: "path attributes", action: "treat-as-withdraw", reason: broken });
  }
  problems.push(...missingMandatory(message, problems));
  const verdict = problems.some((p) => p.action === "treat-as-withdraw")
    ? "treat-as-withdraw"
    : "accept";
  return { type: "update", message, verdict, problems };
}

export function encodeUpdate(m: UpdateMessage, ctx: CodecContext): Buffer {
  const w = startMessage(MessageType.Update, 512);
  const sealWithdrawn = w.lengthField(2);
  for (const p of m.withdrawn) writePrefix(w, p);
  sealWithdrawn();
  const sealAttrs = w.lengthField(2);
  for (const a of m.attributes) writeAttribute(w, a, ctx);
  sealAttrs();
  for (const p of m.nlri) writePrefix(w, p);
  return sealMessage(w);
}

/** Octets of an attribute block once encoded (for packing prefixes into messages). */
export function attributesLength(attributes: PathAttribute[], ctx: CodecContext): number {
  const w = new Writer(128);
  for (const a of attributes) writeAttribute(w, a, ctx);
  return w.length;
}

/** RFC 4724 §2: the End-of-RIB marker of a family. */
export function endOfRib(family: Family): UpdateMessage {
  return {
    type: "update",
    withdrawn: [],
    attributes:
      family === 4 ? [] : [{ type: "mpUnreach", afi: AFI[6], safi: SAFI_UNICAST, withdrawn: [] }],
    nlri: [],
  };
}

/** The family whose End-of-RIB this update is, if it is one. */
export function endOfRibFamily(m: UpdateMessage): Family | undefined {
  if (m.withdrawn.length || m.nlri.length) return undefined;
  if (m.attributes.length === 0) return 4;
  const [only, ...rest] = m.attributes;
  if (rest.length || only?.type !== "mpUnreach" || only.withdrawn.length) return undefined;
  if (only.safi !== SAFI_UNICAST) return undefined;
  return only.afi === AFI[4] ? 4 : only.afi === AFI[6] ? 6 : undefined;
}
