// ARP and NDP frame codecs: round trips, RFC 826/4861/5227 field values, validity checks, and
// the receive-path guarantee that no input makes the parser throw.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIp, type Ip } from "../../src/api/formats/ip.js";
import {
  ARP_FRAME,
  arpProbe,
  arpReply,
  buildArp,
  gratuitousArp,
  parseArp,
  type ArpPacket,
} from "../../src/runtime/l2/arp.js";
import { formatMac, parseMac } from "../../src/runtime/l2/ethernet.js";
import { parseFrame } from "../../src/runtime/l2/frame.js";
import {
  icmpv6Checksum,
  neighborAdvertisementFor,
  neighborSolicitation,
  parseNdp,
  solicitedNodeBytes,
  unsolicitedAdvertisement,
  type NeighborSolicitation,
} from "../../src/runtime/l2/ndp.js";
import { textToBytes } from "../../src/runtime/l2/ip-bytes.js";

const MAC = "02:00:00:00:00:01";
const CLIENT_MAC = "02:00:00:00:00:99";

const unicastMac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => {
  b[0] = (b[0]! & 0xfe) | 0x02; // unicast, locally administered: never all zeros
  return formatMac(b);
});
const ip4 = fc
  .bigInt({ min: 1n, max: (1n << 32n) - 1n })
  .map((value) => formatIp({ family: 4, value }));
const ip6Unicast = fc
  .bigInt({ min: 1n, max: (1n << 128n) - 1n })
  .filter((v) => v >> 120n !== 0xffn)
  .map((value): Ip => ({ family: 6, value }))
  .map(formatIp);

function ok<T>(r: { ok: true; packet: T } | { ok: false; reason: string; detail: string }): T {
  if (!r.ok) throw new Error(`expected a packet, got ${r.reason}: ${r.detail}`);
  return r.packet;
}

describe("MAC text", () => {
  it("parses and formats", () => {
    expect(parseMac("AA-bb-CC-00-01-ff")?.toString("hex")).toBe("aabbcc0001ff");
    expect(parseMac("aa:bb:cc:00:01")).toBeUndefined();
    expect(formatMac(Buffer.from("0a0b0c0d0e0f", "hex"))).toBe("0a:0b:0c:0d:0e:0f");
  });
});

describe("ARP", () => {
  it("round-trips every field of a request and a reply", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1 as const, 2 as const),
        unicastMac,
        unicastMac,
        ip4,
        ip4,
        (op, sha, tha, spa, tpa) => {
          const fields = {
            ethDst: tha,
            ethSrc: sha,
            senderMac: sha,
            senderIp: spa,
            targetMac: tha,
            targetIp: tpa,
          };
          const frame = buildArp({ op, ...fields });
          expect(frame.length).toBe(ARP_FRAME);
          expect(ok(parseArp(frame))).toEqual({
            kind: "arp",
            op: op === 1 ? "request" : "reply",
            ...fields,
          });
        },
      ),
    );
  });

  it("answers a request to the requester with the requested address", () => {
    const req: ArpPacket = {
      kind: "arp",
      op: "request",
      ethDst: "ff:ff:ff:ff:ff:ff",
      ethSrc: CLIENT_MAC,
      senderMac: CLIENT_MAC,
      senderIp: "192.0.2.9",
      targetMac: "00:00:00:00:00:00",
      targetIp: "192.0.2.100",
    };
    expect(ok(parseArp(arpReply(req, MAC)))).toEqual({
      kind: "arp",
      op: "reply",
      ethDst: CLIENT_MAC,
      ethSrc: MAC,
      senderMac: MAC,
      senderIp: "192.0.2.100",
      targetMac: CLIENT_MAC,
      targetIp: "192.0.2.9",
    });
  });

  it("builds gratuitous ARP in both forms and RFC 5227 probes", () => {
    const req = ok(parseArp(gratuitousArp("192.0.2.100", MAC, "request")));
    expect(req).toMatchObject({
      op: "request",
      ethDst: "ff:ff:ff:ff:ff:ff",
      senderIp: "192.0.2.100",
      targetIp: "192.0.2.100",
      targetMac: "00:00:00:00:00:00",
    });
    const rep = ok(parseArp(gratuitousArp("192.0.2.100", MAC, "reply")));
    expect(rep).toMatchObject({ op: "reply", ethDst: "ff:ff:ff:ff:ff:ff", targetMac: MAC });
    expect(ok(parseArp(arpProbe("192.0.2.100", MAC)))).toMatchObject({
      op: "request",
      senderIp: "0.0.0.0",
      senderMac: MAC,
      targetIp: "192.0.2.100",
    });
  });

  it("accepts Ethernet padding and drops what padding cannot explain", () => {
    const f = gratuitousArp("192.0.2.1", MAC, "request");
    expect(parseArp(Buffer.concat([f, Buffer.alloc(60 - f.length)])).ok).toBe(true);
    expect(parseArp(Buffer.concat([f, Buffer.alloc(100)]))).toMatchObject({ reason: "oversized" });
    expect(parseArp(f, 2000)).toMatchObject({ reason: "oversized" });
    expect(parseArp(f.subarray(0, 41))).toMatchObject({ reason: "truncated" });
  });

  it.each([
    ["hardware type", 14, 6],
    ["protocol type", 16, 0x86],
    ["hardware length", 18, 8],
    ["protocol length", 19, 16],
    ["operation", 21, 3],
    ["multicast sender MAC", 22, 0x01],
  ])("drops a frame with a wrong %s as malformed", (_what, offset, value) => {
    const f = gratuitousArp("192.0.2.1", MAC, "request");
    f[offset] = value;
    expect(parseArp(f)).toMatchObject({ ok: false, reason: "malformed" });
  });
});

describe("NDP", () => {
  it("solicited-node group and its MAC follow RFC 4291 / RFC 2464", () => {
    const g = solicitedNodeBytes(textToBytes("2001:db8::1:2345:6789"));
    expect(formatIp({ family: 6, value: BigInt(`0x${g.toString("hex")}`) })).toBe(
      "ff02::1:ff45:6789",
    );
    const ns = ok(parseNdp(neighborSolicitation("2001:db8::1:2345:6789", MAC)));
    expect(ns).toMatchObject({
      kind: "ns",
      ethDst: "33:33:ff:45:67:89",
      dstIp: "ff02::1:ff45:6789",
    });
  });

  it("round-trips solicitations and the advertisements that answer them", () => {
    fc.assert(
      fc.property(ip6Unicast, ip6Unicast, unicastMac, (target, src, clientMac) => {
        const ns = ok(
          parseNdp(neighborSolicitation(target, clientMac, src)),
        ) as NeighborSolicitation;
        expect(ns).toEqual({
          kind: "ns",
          ethSrc: clientMac,
          ethDst: expect.stringMatching(/^33:33:ff:/) as string,
          srcIp: src,
          dstIp: expect.stringMatching(/^ff02::1:ff/) as string,
          target,
          sourceMac: clientMac,
        });
        const na = ok(parseNdp(neighborAdvertisementFor(ns, MAC)));
        expect(na).toEqual({
          kind: "na",
          ethSrc: MAC,
          ethDst: clientMac,
          srcIp: target,
          dstIp: src,
          target,
          targetMac: MAC,
          router: false,
          solicited: true,
          override: true,
        });
      }),
    );
  });

  it("answers duplicate address detection to all-nodes, unsolicited", () => {
    const dad = ok(
      parseNdp(neighborSolicitation("2001:db8::10", CLIENT_MAC)),
    ) as NeighborSolicitation;
    expect(dad.srcIp).toBe("::");
    expect(dad.sourceMac).toBeUndefined();
    expect(ok(parseNdp(neighborAdvertisementFor(dad, MAC)))).toMatchObject({
      ethDst: "33:33:00:00:00:01",
      dstIp: "ff02::1",
      solicited: false,
      override: true,
    });
  });

  it("unsolicited NA carries Override and the target link-layer address", () => {
    expect(ok(parseNdp(unsolicitedAdvertisement("2001:db8::10", MAC)))).toEqual({
      kind: "na",
      ethSrc: MAC,
      ethDst: "33:33:00:00:00:01",
      srcIp: "2001:db8::10",
      dstIp: "ff02::1",
      target: "2001:db8::10",
      targetMac: MAC,
      router: false,
      solicited: false,
      override: true,
    });
  });

  it("the checksum of a built message verifies to zero over the whole message", () => {
    const f = unsolicitedAdvertisement("2001:db8::10", MAC);
    const icmp = f.subarray(54);
    // Summing with the stored checksum included gives 0xffff, i.e. ~sum === 0.
    const src = f.subarray(22, 38);
    const dst = f.subarray(38, 54);
    expect(icmpv6Checksum(src, dst, icmp)).toBe(f.readUInt16BE(56));
  });

  it("refuses any single corrupted byte from the payload length on", () => {
    const good = neighborSolicitation("2001:db8::10", CLIENT_MAC, "2001:db8::9");
    // Bytes 14-17 (version, traffic class, flow label) are outside the checksum; everything
    // after them is checked by a field rule or by the checksum.
    fc.assert(
      fc.property(
        fc.integer({ min: 18, max: good.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (i, x) => {
          const f = Buffer.from(good);
          f[i] = f[i]! ^ x;
          expect(parseNdp(f).ok).toBe(false);
        },
      ),
    );
  });

  it.each([
    ["hop limit below 255", (f: Buffer) => void (f[21] = 64), "malformed"],
    ["ICMPv6 code not 0", (f: Buffer) => void (f[55] = 1), "malformed"],
    ["payload length past the frame", (f: Buffer) => f.writeUInt16BE(200, 18), "truncated"],
    ["option of length 0", (f: Buffer) => void (f[79] = 0), "malformed"],
  ])("drops %s", (_what, mutate, reason) => {
    const f = neighborSolicitation("2001:db8::10", CLIENT_MAC, "2001:db8::9");
    mutate(f);
    expect(parseNdp(f)).toMatchObject({ ok: false, reason });
  });

  it("drops trailing bytes beyond Ethernet padding as oversized", () => {
    const f = unsolicitedAdvertisement("2001:db8::10", MAC);
    expect(parseNdp(Buffer.concat([f, Buffer.alloc(40)]))).toMatchObject({ reason: "oversized" });
  });
});

describe("the receive path never throws", () => {
  const valid = [
    gratuitousArp("192.0.2.1", MAC, "request"),
    arpProbe("192.0.2.1", MAC),
    neighborSolicitation("2001:db8::10", CLIENT_MAC, "2001:db8::9"),
    unsolicitedAdvertisement("2001:db8::10", MAC),
  ];

  it("on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(70000), (bytes, wire) => {
        const r = parseFrame(bytes, wire);
        if (!r.ok)
          expect(["truncated", "oversized", "malformed", "unsupported"]).toContain(r.reason);
      }),
      { numRuns: 5000 },
    );
  });

  it("on valid frames with random corruption, truncation and extension", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(120),
        (frame, edits, cut) => {
          const f = Buffer.from(frame);
          for (const [i, v] of edits) f[i % f.length] = v;
          const shaped =
            cut < f.length ? f.subarray(0, cut) : Buffer.concat([f, Buffer.alloc(cut - f.length)]);
          expect(() => parseFrame(shaped)).not.toThrow();
        },
      ),
      { numRuns: 5000 },
    );
  });
});
