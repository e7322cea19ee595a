// Who is alive, judged on this speaker's own clock: peers' clocks never decide, an API outage
// freezes the verdicts, heartbeats override the Leases.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LeaseLiveness, liveNodes } from "../../src/runtime/speaker/liveness.js";
import type { LeaseFacts } from "../../src/runtime/speaker/node-lease.js";

const lease = (node: string, renew: string, uid = `uid-${node}`): LeaseFacts => ({
  node,
  renew,
  uid,
  durationSeconds: 10,
  macs: [],
});

describe("LeaseLiveness", () => {
  it("a Lease is live for its duration after this speaker saw it change", () => {
    const l = new LeaseLiveness();
    l.observe([lease("n2", "a")], 1_000);
    expect(l.live(10_999)).toEqual(new Set(["n2"]));
    expect(l.live(11_000)).toEqual(new Set());
    l.observe([lease("n2", "a")], 11_000); // unchanged: not a renewal
    expect(l.live(11_000)).toEqual(new Set());
    l.observe([lease("n2", "b")], 12_000);
    expect(l.live(21_999)).toEqual(new Set(["n2"]));
  });

  it("whatever time a peer writes — far ahead, far behind, going backwards — only change counts", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1e12, max: 1e13 }), { minLength: 2, maxLength: 20 }),
        (stamps) => {
          const l = new LeaseLiveness();
          let now = 0;
          for (const t of stamps) {
            now += 3_000; // renewed every 3 s (a third of 10 s), as a speaker does
            l.observe([lease("n2", String(t))], now);
          }
          const distinct = new Set(stamps).size === stamps.length;
          if (distinct) expect(l.live(now + 9_999)).toEqual(new Set(["n2"]));
        },
      ),
    );
  });

  it("freezes the verdicts while the API server is unreachable, and gives every Lease a fresh duration after", () => {
    const l = new LeaseLiveness();
    l.observe([lease("n2", "a"), lease("n3", "a")], 0);
    l.setFrozen(true, 5_000);
    l.observe([], 30_000); // a stale cache may even look empty: nothing is forgotten meanwhile
    expect(l.live(60_000)).toEqual(new Set(["n2", "n3"]));
    l.setFrozen(false, 65_000);
    l.observe([lease("n2", "a"), lease("n3", "a")], 65_000);
    expect(l.live(74_999)).toEqual(new Set(["n2", "n3"]));
    l.observe([lease("n2", "b"), lease("n3", "a")], 70_000);
    expect(l.live(75_000)).toEqual(new Set(["n2"]));
  });

  it("a deleted Lease is a speaker that left; a recreated one is reported", () => {
    const l = new LeaseLiveness();
    l.observe([lease("n2", "a"), lease("n3", "a")], 0);
    expect(l.observe([lease("n2", "a", "new-uid")], 1_000)).toEqual(["n2"]);
    expect(l.live(2_000)).toEqual(new Set(["n2"]));
  });
});

describe("liveNodes", () => {
  const hb = (m: Record<string, "alive" | "dead" | "left">) => (n: string) => m[n];

  it("a peer heard alive is live even when its Lease lapsed; heard dead or leaving is not", () => {
    const live = liveNodes(
      "n1",
      new Set(["n2", "n3", "n4"]),
      hb({ n2: "dead", n3: "left", n5: "alive" }),
      ["n5"],
    );
    expect(live).toEqual(new Set(["n1", "n4", "n5"]));
  });

  it("without heartbeats the Leases decide, and this node always counts", () => {
    expect(liveNodes("n1", new Set(["n2"]), undefined)).toEqual(new Set(["n1", "n2"]));
    expect(liveNodes("n1", new Set(), undefined)).toEqual(new Set(["n1"]));
  });
});
