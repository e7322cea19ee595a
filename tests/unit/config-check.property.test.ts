// The pool overlap check of `metallb-ts validate` agrees with brute force on random IPv4 ranges:
// each overlapping pair is reported once on each pool.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConfigValues } from "../../src/api/values/schema.js";
import { configProblems } from "../../src/gitops/validate/config-check.js";

const range = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
  .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);

const config = (pools: (readonly [number, number])[]): ConfigValues => ({
  ipAddressPools: pools.map(([a, b], i) => ({
    name: `p${i}`,
    spec: { addresses: [`203.0.113.${a}-203.0.113.${b}`] },
  })),
  l2Advertisements: [{ name: "all", spec: {} }],
  bgpAdvertisements: [],
  bgpPeers: [],
  communities: [],
  bfdProfiles: [],
});

describe("pool overlap check", () => {
  it("reports exactly the pairs of pools that share an address, on both pools", () => {
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 6 }), (pools) => {
        const reported = configProblems(config(pools), "metallb-system").filter((p) =>
          p.problem.includes(" overlaps "),
        ).length;
        let expected = 0;
        pools.forEach(([a, b], i) =>
          pools.slice(i + 1).forEach(([c, d]) => {
            if (a <= d && c <= b) expected += 2;
          }),
        );
        expect(reported).toBe(expected);
      }),
    );
  });
});
