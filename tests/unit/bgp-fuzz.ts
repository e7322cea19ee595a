// The decoder fuzzer: well-formed messages from the generators, then byte-level mutations
// (flips, interesting values, truncation, insertion, deletion, splicing), mostly with the header
// repaired so the mutation reaches the body. Every input must decode, or fail with a BgpError
// naming a NOTIFICATION we know; decoded UPDATEs must get a verdict; OPENs must negotiate or be
// refused with a BgpError; a framer fed the bytes in random chunks must agree with the decoder.
import fc from "fast-check";
import {
  notificationArb,
  openArb,
  routeRefreshArb,
  updateArb,
} from "../../src/lab/bgp-arbitraries.js";
import {
  decodeMessage,
  encodeMessage,
  type BgpMessage,
} from "../../src/runtime/bgp/codec/message.js";
import { Framer } from "../../src/runtime/bgp/codec/header.js";
import { encodeNotification } from "../../src/runtime/bgp/codec/notification.js";
import { BgpError } from "../../src/runtime/bgp/errors.js";
import { negotiate, type LocalConfig } from "../../src/runtime/bgp/negotiate.js";
import { checkReceivedUpdate } from "../../src/runtime/bgp/update-check.js";
import { seededRandom } from "../../src/lab/random.js";

export interface FuzzStats {
  messages: number;
  /** Outcome → count: "accept", "treat-as-withdraw", "open", "keepalive", … or "notify code/subcode". */
  outcomes: Record<string, number>;
}

/** The NOTIFICATION (code → subcodes) this decoder may answer with. */
const ALLOWED: Record<number, number[]> = {
  1: [1, 2, 3],
  2: [0, 1, 2, 3, 4, 6, 7],
  3: [1, 2, 9, 10],
  7: [1],
};

const INTERESTING = [0, 1, 2, 3, 4, 0x0f, 0x10, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xe0, 0xfe, 0xff];

function mutate(base: Buffer, other: Buffer, rnd: () => number): Buffer {
  const int = (n: number) => Math.floor(rnd() * n);
  let b = Buffer.from(base);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const at = 19 + int(Math.max(1, b.length - 19));
    switch (int(8)) {
      case 0:
        if (at < b.length) b[at] = int(256);
        break;
      case 1:
        if (at < b.length) b[at] = (b[at] as number) ^ (1 << int(8));
        break;
      case 2:
        if (at < b.length) b[at] = INTERESTING[int(INTERESTING.length)] as number;
        break;
      case 3:
        b = b.subarray(0, at);
        break;
      case 4:
        b = Buffer.concat([
          b.subarray(0, at),
          Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256))),
          b.subarray(at),
        ]);
        break;
      case 5:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(8))]);
        break;
      case 6: {
        // A 2-octet length field set off by a little, or to an extreme.
        if (at + 1 < b.length) {
          const v = b.readUInt16BE(at);
          b.writeUInt16BE(
            [0, 0xffff, (v + 1) & 0xffff, (v - 1) & 0xffff, int(0x10000)][int(5)] as number,
            at,
          );
        }
        break;
      }
      case 7: {
        const from = 19 + int(Math.max(1, other.length - 19));
        b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + 1 + int(32))]);
        break;
      }
    }
  }
  if (b.length < 19) return b;
  // Mostly keep the header valid so that the body decoders are exercised.
  if (rnd() < 0.9 && b.length <= 0xffff) b.writeUInt16BE(b.length, 16);
  if (rnd() < 0.05) b[int(16)] = int(256);
  return b;
}

const LOCAL: LocalConfig = {
  localAsn: 64512,
  peerAsn: "external",
  routerId: "192.0.2.1",
  holdTime: 90,
  families: [4, 6],
};

function check(err: unknown, input: Buffer): string {
  if (!(err instanceof BgpError)) {
    throw new Error(`decoder threw ${String(err)} for input ${input.toString("hex")}`, {
      cause: err,
    });
  }
  if (!ALLOWED[err.code]?.includes(err.subcode)) {
    throw new Error(`unexpected NOTIFICATION ${err.message} for input ${input.toString("hex")}`);
  }
  encodeNotification({ code: err.code, subcode: err.subcode, data: Buffer.from(err.data) });
  return `notify ${err.code}/${err.subcode}`;
}

function outcome(input: Buffer, fourOctetAs: boolean, rnd: () => number): string {
  try {
    const m = decodeMessage(input, { fourOctetAs });
    if (m.type === "update") {
      const ctx = { ibgp: rnd() < 0.5, peerAsn: 64512 + Math.floor(rnd() * 3), fourOctetAs };
      const checked = checkReceivedUpdate(m, ctx);
      if (checked.verdict !== "accept" && checked.verdict !== "treat-as-withdraw") {
        throw new Error(`no verdict for ${input.toString("hex")}`);
      }
      return checked.verdict;
    }
    if (m.type === "open") {
      try {
        negotiate(LOCAL, m);
      } catch (err) {
        return check(err, input);
      }
    }
    return m.type;
  } catch (err) {
    return check(err, input);
  }
}

/** The framer, fed random chunks, must split out the same message or raise a BgpError. */
function checkFramer(input: Buffer, rnd: () => number): void {
  const framer = new Framer();
  try {
    for (let at = 0; at < input.length;) {
      const n = 1 + Math.floor(rnd() * 64);
      for (const m of framer.push(input.subarray(at, at + n))) {
        if (!m.equals(input.subarray(0, m.length))) throw new Error("framer returned other bytes");
      }
      at += n;
    }
  } catch (err) {
    check(err, input);
  }
}

export function fuzzDecoder(seed: number, count: number): FuzzStats {
  const rnd = seededRandom(seed);
  // UPDATEs carry most of the structure (and of the error handling): weight them.
  const arb = (fourOctetAs: boolean): fc.Arbitrary<BgpMessage> =>
    fc.oneof(
      { arbitrary: updateArb(fourOctetAs), weight: 6 },
      { arbitrary: openArb, weight: 2 },
      { arbitrary: notificationArb, weight: 1 },
      { arbitrary: routeRefreshArb, weight: 1 },
      { arbitrary: fc.constant({ type: "keepalive" as const }), weight: 1 },
    );
  const pool = fc.sample(fc.tuple(arb(true), arb(false)), { seed, numRuns: 500 });
  const encoded = pool.flatMap(([four, two]) => [
    { bytes: encodeMessage(four, { fourOctetAs: true }), fourOctetAs: true },
    { bytes: encodeMessage(two, { fourOctetAs: false }), fourOctetAs: false },
  ]);
  const stats: FuzzStats = { messages: 0, outcomes: {} };
  for (let i = 0; i < count; i++) {
    const base = encoded[Math.floor(rnd() * encoded.length)] as (typeof encoded)[number];
    const other = encoded[Math.floor(rnd() * encoded.length)] as (typeof encoded)[number];
    // A tenth go through unmutated (with the other context, half the time) as controls.
    const input = rnd() < 0.1 ? base.bytes : mutate(base.bytes, other.bytes, rnd);
    const fourOctetAs = rnd() < 0.8 ? base.fourOctetAs : !base.fourOctetAs;
    const result = outcome(input, fourOctetAs, rnd);
    if (i % 16 === 0) checkFramer(input, rnd);
    stats.messages++;
    stats.outcomes[result] = (stats.outcomes[result] ?? 0) + 1;
  }
  return stats;
}
