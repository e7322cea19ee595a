// Authenticated heartbeat datagrams between speakers: who sends (node name, incarnation), in
// which order (sequence number), when (sender's wall clock) and whether it is leaving, sealed
// with HMAC-SHA256 under the cluster's shared key. Verification never throws.
import { createHmac, timingSafeEqual } from "node:crypto";

export interface Heartbeat {
  node: string;
  /** Fixed for one process lifetime and larger after a restart, so sequence numbers may restart. */
  incarnation: bigint;
  seq: bigint;
  /** Sender's wall clock (ms since the epoch), bounding how long a captured packet can be replayed. */
  sentAtMs: bigint;
  /** The sender is shutting down: take over from it now, without waiting for silence. */
  leaving: boolean;
}

const MAGIC = Buffer.from("MLBH");
const VERSION = 1;
const HEADER = 32;
const MAC_LENGTH = 32;
const FLAG_LEAVING = 1;
export const MIN_KEY_BYTES = 16;
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export type RejectReason = "malformed" | "version" | "auth";

export function checkKey(key: Uint8Array): void {
  if (key.length < MIN_KEY_BYTES)
    throw new Error(
      `the heartbeat key has ${key.length} bytes; use at least ${MIN_KEY_BYTES} random bytes (e.g. \`openssl rand -base64 32\` in the Secret)`,
    );
}

const hmac = (key: Uint8Array, data: Uint8Array): Buffer =>
  createHmac("sha256", key).update(data).digest();

export function encodeHeartbeat(hb: Heartbeat, key: Uint8Array): Buffer {
  checkKey(key);
  const name = Buffer.from(hb.node, "utf8");
  if (!NODE_NAME.test(hb.node))
    throw new Error(`node name "${hb.node}" is not a DNS subdomain name (at most 253 characters)`);
  const b = Buffer.alloc(HEADER + name.length + MAC_LENGTH);
  MAGIC.copy(b, 0);
  b[4] = VERSION;
  b[5] = hb.leaving ? FLAG_LEAVING : 0;
  b[6] = name.length;
  b.writeBigUInt64BE(hb.incarnation, 8);
  b.writeBigUInt64BE(hb.seq, 16);
  b.writeBigUInt64BE(hb.sentAtMs, 24);
  name.copy(b, HEADER);
  hmac(key, b.subarray(0, HEADER + name.length)).copy(b, HEADER + name.length);
  return b;
}

/**
 * Checks a datagram against the keys (any may have sealed it: during a key rotation speakers
 * accept the old and the new key). `keyIndex` says which one did.
 */
export function verifyHeartbeat(
  packet: Uint8Array,
  keys: Uint8Array | readonly Uint8Array[],
): { ok: true; heartbeat: Heartbeat; keyIndex: number } | { ok: false; reason: RejectReason } {
  const b = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
  if (b.length < HEADER + 1 + MAC_LENGTH || !b.subarray(0, 4).equals(MAGIC))
    return { ok: false, reason: "malformed" };
  if (b[4] !== VERSION) return { ok: false, reason: "version" };
  const nameLength = b[6] ?? 0;
  if (
    b.length !== HEADER + nameLength + MAC_LENGTH ||
    b[7] !== 0 ||
    ((b[5] ?? 0) & ~FLAG_LEAVING) !== 0
  )
    return { ok: false, reason: "malformed" };
  const signed = b.subarray(0, HEADER + nameLength);
  const mac = b.subarray(HEADER + nameLength);
  const keyIndex = (keys instanceof Uint8Array ? [keys] : keys).findIndex((k) =>
    timingSafeEqual(hmac(k, signed), mac),
  );
  if (keyIndex < 0) return { ok: false, reason: "auth" };
  const node = b.toString("utf8", HEADER, HEADER + nameLength);
  if (!NODE_NAME.test(node)) return { ok: false, reason: "malformed" };
  return {
    ok: true,
    keyIndex,
    heartbeat: {
      node,
      incarnation: b.readBigUInt64BE(8),
      seq: b.readBigUInt64BE(16),
      sentAtMs: b.readBigUInt64BE(24),
      leaving: b[5] === FLAG_LEAVING,
    },
  };
}
