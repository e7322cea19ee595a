// The receive path's cheap checks before parsing: an ARP frame about other addresses is dropped
// by looking at eight bytes; frames about watched addresses are rate-limited.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ARP_REQUEST, buildArp, arpProbe } from "../../src/runtime/l2/arp.js";
import { neighborSolicitation } from "../../src/runtime/l2/ndp.js";
import { ipv4Number, mayConcern, TokenBucket } from "../../src/runtime/l2/prefilter.js";

const MAC = "02:00:00:00:00:01";
const watched = new Set([ipv4Number("192.0.2.10")]);
const request = (sender: string, target: string) =>
  buildArp({
    op: ARP_REQUEST,
    senderMac: MAC,
    senderIp: sender,
    targetMac: "00:00:00:00:00:00",
    targetIp: target,
    ethSrc: MAC,
    ethDst: "ff:ff:ff:ff:ff:ff",
  });

describe("mayConcern", () => {
  it("passes ARP naming a watched address as sender or target, drops the rest", () => {
    expect(mayConcern(request("192.0.2.1", "192.0.2.10"), watched)).toBe(true);
    expect(mayConcern(request("192.0.2.10", "192.0.2.10"), watched)).toBe(true);
    expect(mayConcern(request("192.0.2.1", "192.0.2.11"), watched)).toBe(false);
    expect(mayConcern(arpProbe("192.0.2.10", MAC), watched)).toBe(true);
  });

  it("leaves everything it cannot rule out to the parser (NDP, short or odd ARP)", () => {
    expect(mayConcern(neighborSolicitation("2001:db8::10", MAC), watched)).toBe(true);
    expect(mayConcern(Buffer.alloc(20), watched)).toBe(true);
    const odd = request("192.0.2.1", "192.0.2.11");
    odd[18] = 8; // hardware address length 8
    expect(mayConcern(odd, watched)).toBe(true);
  });

  it("agrees with the parsed addresses on any IPv4 pair", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const ip = fc.tuple(octet, octet).map(([a, b]) => `192.0.${a}.${b}`);
    fc.assert(
      fc.property(ip, ip, fc.array(ip, { maxLength: 4 }), (s, t, w) => {
        const set = new Set(w.map(ipv4Number));
        expect(mayConcern(request(s, t), set)).toBe(w.includes(s) || w.includes(t));
      }),
    );
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then the rate", () => {
    const b = new TokenBucket(10, 5);
    const at0 = Array.from({ length: 8 }, () => b.take(0)).filter(Boolean).length;
    expect(at0).toBe(5);
    expect(b.take(50)).toBe(false); // half a token
    expect(b.take(100)).toBe(true);
    const overASecond = Array.from({ length: 100 }, (_, i) => b.take(200 + i * 10)).filter(
      Boolean,
    ).length;
    expect(overASecond).toBeGreaterThanOrEqual(9);
    expect(overASecond).toBeLessThanOrEqual(11);
  });
});
