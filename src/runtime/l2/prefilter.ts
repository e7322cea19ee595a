// Cheap checks a received frame passes before it is parsed: an ARP frame about addresses this
// interface neither owns nor probes is none of its business (on a busy segment that is nearly
// every frame), and what is left is rate-limited, so a flood costs a byte comparison per frame
// rather than a parse and a reply.
import { ETH_HEADER, ETHERTYPE_ARP } from "./ethernet.js";

const ARP_SENDER_IP = ETH_HEADER + 14;
const ARP_TARGET_IP = ETH_HEADER + 24;

/** The IPv4 address at `offset` as an unsigned 32-bit number. */
const ipv4At = (b: Uint8Array, o: number): number =>
  (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;

/** An IPv4 address text as the number ipv4At reads. */
export const ipv4Number = (text: string): number =>
  text.split(".").reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);

/**
 * Whether the frame may concern one of `watched` (IPv4 addresses owned or probed here). Only a
 * well-formed Ethernet/IPv4 ARP frame can be ruled out this early; anything else is left to the
 * parser, which counts what it drops.
 */
export function mayConcern(frame: Uint8Array, watched: { has(ip: number): boolean }): boolean {
  if (frame.length < ARP_TARGET_IP + 4) return true;
  if ((((frame[12] ?? 0) << 8) | (frame[13] ?? 0)) !== ETHERTYPE_ARP) return true;
  // hardware type Ethernet (1), protocol IPv4 (0x0800), lengths 6 and 4
  if (frame[14] !== 0 || frame[15] !== 1 || frame[16] !== 8 || frame[17] !== 0) return true;
  if (frame[18] !== 6 || frame[19] !== 4) return true;
  return watched.has(ipv4At(frame, ARP_SENDER_IP)) || watched.has(ipv4At(frame, ARP_TARGET_IP));
}

/** A token bucket: `rate` per second on average, bursts up to `burst`. Time comes in (ms). */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(now: number): boolean {
    if (this.last !== undefined)
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
