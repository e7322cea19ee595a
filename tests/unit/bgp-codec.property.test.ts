// Codec round trips over generated messages: decode(encode(m)) is m, the framer splits a
// stream cut anywhere into the same messages, and prefixes survive text and wire forms.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Reader, Writer } from "../../src/runtime/bgp/codec/bytes.js";
import { Framer } from "../../src/runtime/bgp/codec/header.js";
import { decodeMessage, encodeMessage } from "../../src/runtime/bgp/codec/message.js";
import {
  formatPrefix,
  parsePrefix,
  readPrefixes,
  writePrefix,
} from "../../src/runtime/bgp/codec/prefix.js";
import { BgpError } from "../../src/runtime/bgp/errors.js";
import {
  messageArb,
  notificationArb,
  openArb,
  prefixArb,
  routeRefreshArb,
  updateArb,
} from "../../src/lab/bgp-arbitraries.js";

const fail = () => new BgpError(3, 10, "overrun");

describe("BGP codec round trips", () => {
  it.each([true, false])(
    "UPDATE (4-octet AS: %s): decoded unchanged and accepted",
    (fourOctetAs) => {
      fc.assert(
        fc.property(updateArb(fourOctetAs), (m) => {
          const bytes = encodeMessage(m, { fourOctetAs });
          expect(bytes.length).toBeLessThanOrEqual(4096);
          expect(bytes.readUInt16BE(16)).toBe(bytes.length);
          const d = decodeMessage(bytes, { fourOctetAs });
          expect(d).toEqual({ type: "update", message: m, verdict: "accept", problems: [] });
        }),
        { numRuns: 300 },
      );
    },
  );

  it("OPEN, NOTIFICATION, ROUTE-REFRESH, KEEPALIVE: decoded unchanged", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          openArb,
          notificationArb,
          routeRefreshArb,
          fc.constant({ type: "keepalive" as const }),
        ),
        (m) => {
          expect(
            decodeMessage(encodeMessage(m, { fourOctetAs: true }), { fourOctetAs: true }),
          ).toEqual(m);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a stream of messages cut at arbitrary points is framed back into the same messages", () => {
    fc.assert(
      fc.property(
        fc.array(messageArb(true), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 40 }),
        (messages, cuts) => {
          const encoded = messages.map((m) => encodeMessage(m, { fourOctetAs: true }));
          const stream = Buffer.concat(encoded);
          const framer = new Framer();
          const out: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length] as number;
            out.push(...framer.push(stream.subarray(at, at + n)));
            at += n;
          }
          expect(out).toEqual(encoded);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([4, 6] as const)("IPv%s prefixes: text and NLRI forms round-trip", (family) => {
    fc.assert(
      fc.property(fc.array(prefixArb(family), { maxLength: 30 }), (prefixes) => {
        for (const p of prefixes) expect(parsePrefix(formatPrefix(p))).toEqual(p);
        const w = new Writer(8);
        for (const p of prefixes) writePrefix(w, p);
        expect(readPrefixes(new Reader(w.finish(), fail), family, fail)).toEqual(prefixes);
      }),
    );
  });
});
