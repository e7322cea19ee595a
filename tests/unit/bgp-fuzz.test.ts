// A short, seeded run of the decoder fuzzer (the long run: `npm run fuzz:bgp`).
import { describe, expect, it } from "vitest";
import { fuzzDecoder } from "./bgp-fuzz.js";

describe("BGP decoder fuzzing (seeded)", () => {
  it("20,000 generated and mutated messages: only typed BGP errors, every UPDATE gets a verdict", () => {
    const stats = fuzzDecoder(20251123, 20_000);
    expect(stats.messages).toBe(20_000);
    const o = stats.outcomes;
    // The run reached every kind of reaction, not just header rejections.
    for (const kind of [
      "accept",
      "treat-as-withdraw",
      "open",
      "notification",
      "keepalive",
      "routeRefresh",
    ]) {
      expect(o[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    for (const notify of [
      "notify 1/2",
      "notify 3/1",
      "notify 3/9",
      "notify 3/10",
      "notify 2/0",
      "notify 2/1",
    ]) {
      expect(o[notify] ?? 0, notify).toBeGreaterThan(0);
    }
  });
});
