// IP parsing and formatting: properties over the whole address space plus RFC 5952 examples.
import fc from "fast-check";
import { isIP } from "node:net";
import { describe, expect, it } from "vitest";
import {
  formatIp,
  isBuggyIp,
  parseCidr,
  parseIp,
  parsePoolEntry,
  rangesOverlap,
  type Family,
  type Ip,
} from "../../src/api/formats/ip.js";

const v4 = (value: bigint): Ip => ({ family: 4, value });
const v6 = (value: bigint): Ip => ({ family: 6, value });

const ipArb = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map(v4),
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(v6),
  // IPv6 with long zero runs, where compression decisions happen
  fc
    .array(fc.constantFrom(0n, 0n, 0n, 1n, 0xffffn, 0xdb8n), { minLength: 8, maxLength: 8 })
    .map((gs) => v6(gs.reduce<bigint>((a, g) => (a << 16n) | g, 0n))),
);

describe("IP text", () => {
  it("format then parse is the identity, and the text is a valid address", () => {
    fc.assert(
      fc.property(ipArb, (ip) => {
        const text = formatIp(ip);
        expect(isIP(text)).toBe(ip.family);
        expect(parseIp(text)).toEqual(ip);
      }),
    );
  });

  it("follows RFC 5952", () => {
    const canon = (t: string) => formatIp(parseIp(t)!);
    expect(canon("2001:0DB8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1");
    expect(canon("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1"); // one zero group stays
    expect(canon("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1"); // first of equal runs
    expect(canon("::")).toBe("::");
    expect(canon("::ffff:192.0.2.1")).toBe("::ffff:c000:201");
    expect(canon("2001:db8::192.0.2.1")).toBe("2001:db8::c000:201");
  });

  it("refuses what is not an address", () => {
    for (const t of ["", "1.2.3", "256.1.1.1", "01.2.3.4", "2001:db8:::1", "fe80::1%eth0", "x"]) {
      expect(parseIp(t), t).toBeUndefined();
    }
  });
});

describe("pool entries", () => {
  it("CIDRs cover their whole network, host bits ignored", () => {
    expect(parseCidr("192.0.2.77/24")).toEqual({
      family: 4,
      first: 0xc0000200n,
      last: 0xc00002ffn,
    });
    expect(parseCidr("2001:db8::/64")?.last).toBe((0x20010db8n << 96n) + (1n << 64n) - 1n);
    expect(parseCidr("192.0.2.0/33")).toBeUndefined();
  });

  it("ranges: order, families and syntax are checked with a reason", () => {
    expect(parsePoolEntry("192.0.2.10 - 192.0.2.20")).toEqual({
      family: 4,
      first: 0xc000020an,
      last: 0xc0000214n,
    });
    expect(parsePoolEntry("192.0.2.20-192.0.2.10")).toContain("start is after");
    expect(parsePoolEntry("192.0.2.1-2001:db8::1")).toContain("one IP family");
    expect(parsePoolEntry("nope")).toContain("neither a CIDR");
  });

  it("overlap is symmetric and needs one family", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: 0n, max: 1000n }),
        (a, b, c, d) => {
          const r1 = { family: 4 as Family, first: a < b ? a : b, last: a < b ? b : a };
          const r2 = { family: 4 as Family, first: c < d ? c : d, last: c < d ? d : c };
          const brute = r1.first <= r2.last && r2.first <= r1.last;
          expect(rangesOverlap(r1, r2)).toBe(brute);
          expect(rangesOverlap(r2, r1)).toBe(brute);
          expect(rangesOverlap(r1, { ...r2, family: 6 })).toBe(false);
        },
      ),
    );
  });

  it("buggy IPs are IPv4 .0 and .255 only", () => {
    expect(isBuggyIp(parseIp("192.0.2.0")!)).toBe(true);
    expect(isBuggyIp(parseIp("192.0.2.255")!)).toBe(true);
    expect(isBuggyIp(parseIp("192.0.2.1")!)).toBe(false);
    expect(isBuggyIp(parseIp("2001:db8::ff")!)).toBe(false);
  });
});
