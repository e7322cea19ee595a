// The CEL range-order rule (start <= end) agrees with exact integer comparison, for IPv4 and for
// IPv6 in every textual form (compressed, expanded, upper case), as judged by the real API server.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createVerdict } from "./objects.js";

const v4 = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");

/** IPv6 text for a 128-bit value, in one of three spellings. */
function v6(n: bigint, style: number): string {
  const groups = Array.from({ length: 8 }, (_, i) =>
    ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16),
  );
  if (style === 1)
    return groups
      .map((g) => g.padStart(4, "0"))
      .join(":")
      .toUpperCase();
  if (style === 2) return groups.join(":");
  // compressed: the longest run of zero groups becomes "::" (as inet_ntop does)
  let best = [-1, 0];
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > (best[1] ?? 0) && j - i > 1) best = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const [start = -1, len = 0] = best;
  if (start < 0) return groups.join(":");
  return `${groups.slice(0, start).join(":")}::${groups.slice(start + len).join(":")}`;
}

const pool = (range: string) => ({
  apiVersion: "metallb.io/v1beta1",
  kind: "IPAddressPool",
  metadata: { name: "order", namespace: "metallb-system" },
  spec: { addresses: [range] },
});

// Values near each other and far apart, sharing long prefixes, around zero runs.
const DOC6 = 0x20010db8n << 96n;
const near = (bits: number) =>
  fc.tuple(
    fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }),
    fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }),
  );

describe("range order rule", () => {
  it("IPv4: accepted exactly when start <= end", async () => {
    await fc.assert(
      fc.asyncProperty(near(32), async ([a, b]) => {
        const verdict = await createVerdict(pool(`${v4(a)}-${v4(b)}`));
        expect(verdict === undefined).toBe(a <= b);
      }),
      { numRuns: 60 },
    );
  });

  it("IPv6: accepted exactly when start <= end, whatever the spelling", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(near(16), near(64), near(96)),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        async ([a, b], sa, sb) => {
          const start = DOC6 | a;
          const end = DOC6 | b;
          const verdict = await createVerdict(pool(`${v6(start, sa)}-${v6(end, sb)}`));
          expect(verdict === undefined, `${v6(start, sa)}-${v6(end, sb)}: ${verdict}`).toBe(
            start <= end,
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
