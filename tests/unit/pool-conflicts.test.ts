import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { poolOverlaps } from "../../src/model/pool.js";
import { pool } from "./pools.js";

describe("poolOverlaps", () => {
  it("names both pools and both ranges", () => {
    const out = poolOverlaps([
      pool("a", { addresses: ["192.0.2.0/28"] }),
      pool("b", { addresses: ["192.0.2.10-192.0.2.20", "2001:db8::/64"] }),
      pool("c", { addresses: ["2001:db8::ff" + "/128", "198.51.100.0/24"] }),
    ]);
    expect(out.get("a")).toEqual([
      "192.0.2.0-192.0.2.15 overlaps 192.0.2.10-192.0.2.20 of IPAddressPool b",
    ]);
    expect(out.get("b")).toEqual([
      "192.0.2.10-192.0.2.20 overlaps 192.0.2.0-192.0.2.15 of IPAddressPool a",
      "2001:db8::-2001:db8::ffff:ffff:ffff:ffff overlaps 2001:db8::ff-2001:db8::ff of IPAddressPool c",
    ]);
    expect(out.get("c")).toHaveLength(1);
  });

  it("reports nothing for disjoint pools, whatever their order", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 2 }), (idx) => {
        const pools = idx.map((i) => pool(`p${i}`, { addresses: [`192.0.2.${i * 16}/28`] }));
        expect(poolOverlaps(pools).size).toBe(0);
      }),
    );
  });
});
