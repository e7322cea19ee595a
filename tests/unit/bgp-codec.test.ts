// The codec on hand-made wire bytes: known encodings, and the error-handling table of
// RFC 4271 §6 and RFC 7606 (docs/bgp.md) row by row.
import { describe, expect, it } from "vitest";
import type { CodecContext } from "../../src/runtime/bgp/codec/attributes.js";
import { decodeMessage, encodeMessage, KEEPALIVE } from "../../src/runtime/bgp/codec/message.js";
import {
  describeNotificationMessage,
  shutdownCommunication,
} from "../../src/runtime/bgp/codec/notification.js";
import { parsePrefix } from "../../src/runtime/bgp/codec/prefix.js";
import {
  endOfRib,
  endOfRibFamily,
  type DecodedUpdate,
} from "../../src/runtime/bgp/codec/update.js";
import { BgpError } from "../../src/runtime/bgp/errors.js";

const b = (...parts: (number | number[] | Buffer)[]): Buffer =>
  Buffer.concat(
    parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(typeof p === "number" ? [p] : p))),
  );
const u16 = (v: number) => [v >> 8, v & 0xff];
const message = (type: number, body: Buffer) =>
  b(Buffer.alloc(16, 0xff), u16(19 + body.length), type, body);
const attr = (flags: number, type: number, value: number[]) =>
  flags & 0x10 ? b(flags, type, u16(value.length), value) : b(flags, type, value.length, value);
const update = (attrs: Buffer, nlri: number[] = [], withdrawn: number[] = []) =>
  message(2, b(u16(withdrawn.length), withdrawn, u16(attrs.length), attrs, nlri));

const ORIGIN = attr(0x40, 1, [0]);
const AS_PATH = attr(0x40, 2, [2, 1, 0, 0, 0xfd, 0xe8]); // AS_SEQUENCE [65000], 4-octet
const NEXT_HOP = attr(0x40, 3, [192, 0, 2, 1]);
const BASE = b(ORIGIN, AS_PATH, NEXT_HOP);
const NLRI = [24, 203, 0, 113];
const MP_REACH_V6 = (extra: number[] = []) =>
  attr(0x80, 14, [
    0,
    2,
    1,
    16,
    ...Array<number>(15).fill(0x20),
    1,
    0,
    64,
    0x20,
    0x01,
    0x0d,
    0xb8,
    0,
    0,
    0,
    0,
    ...extra,
  ]);

const FOUR: CodecContext = { fourOctetAs: true };

function notify(bytes: Buffer, ctx: CodecContext = FOUR): [number, number] {
  try {
    decodeMessage(bytes, ctx);
  } catch (err) {
    if (err instanceof BgpError) return [err.code, err.subcode];
    throw err;
  }
  throw new Error("decoded without error");
}

const decodeUpdate = (bytes: Buffer, ctx: CodecContext = FOUR) =>
  decodeMessage(bytes, ctx) as DecodedUpdate;

describe("BGP codec: known encodings", () => {
  it("KEEPALIVE is the bare 19-octet header", () => {
    expect(KEEPALIVE.toString("hex")).toBe("ff".repeat(16) + "001304");
  });

  it("OPEN of a 4-octet AS carries AS_TRANS and the real AS in the capability", () => {
    const bytes = encodeMessage(
      {
        type: "open",
        version: 4,
        myAs: 23456,
        holdTime: 90,
        bgpId: 0xc0000201,
        capabilities: [
          { kind: "multiprotocol", afi: 2, safi: 1 },
          { kind: "fourOctetAs", asn: 4200000001 },
        ],
      },
      FOUR,
    );
    expect(bytes.subarray(19).toString("hex")).toBe(
      "04" +
        "5ba0" +
        "005a" +
        "c0000201" +
        "0e" +
        "020c" +
        "0104" +
        "00020001" +
        "4104" +
        "fa56ea01",
    );
  });

  it("OPEN as FRR sends it: capabilities we do not use are kept and ignored", () => {
    const caps = b(
      [1, 4, 0, 1, 0, 1], // MP IPv4 unicast
      [128, 0], // old Cisco route refresh
      [2, 0],
      [69, 4, 0, 1, 1, 1], // ADD-PATH
      [73, 5, 3, 0x66, 0x72, 0x72, 0], // FQDN "frr"
      [64, 2, 0x80, 0x78], // graceful restart, R bit, 120 s, no families
      [65, 4, 0, 0, 0xfb, 0xf0],
    );
    const open = message(
      1,
      b(4, u16(64496), u16(9), [192, 0, 2, 1], caps.length + 2, 2, caps.length, caps),
    );
    const m = decodeMessage(open, FOUR);
    expect(m).toMatchObject({ type: "open", myAs: 64496, holdTime: 9, bgpId: 0xc0000201 });
    expect(m.type === "open" && m.capabilities.map((c) => c.kind)).toEqual([
      "multiprotocol",
      "unknown",
      "routeRefresh",
      "unknown",
      "unknown",
      "gracefulRestart",
      "fourOctetAs",
    ]);
    expect(m.type === "open" && m.capabilities[5]).toEqual({
      kind: "gracefulRestart",
      restarting: true,
      notification: false,
      restartTime: 120,
      families: [],
    });
  });

  it("OPEN with RFC 9072 extended optional parameters", () => {
    const caps = b([2, 0], [65, 4, 0, 0, 0xfd, 0xe8]);
    const params = b(2, u16(caps.length), caps);
    const open = message(
      1,
      b(4, u16(65000), u16(90), [192, 0, 2, 9], 255, 255, u16(params.length), params),
    );
    expect(decodeMessage(open, FOUR)).toMatchObject({
      capabilities: [{ kind: "routeRefresh" }, { kind: "fourOctetAs", asn: 65000 }],
    });
  });

  it("UPDATE with every attribute we originate, and the extended-length form accepted on receipt", () => {
    const communities = attr(0xd0, 8, [0xfb, 0xf4, 0, 1]); // extended length, 64500:1
    const large = attr(0xc0, 32, [0xfa, 0x56, 0xea, 0x01, 0, 0, 0, 1, 0, 0, 0, 2]);
    const localPref = attr(0x40, 5, [0, 0, 0, 250]);
    const d = decodeUpdate(update(b(BASE, localPref, communities, large), NLRI));
    expect(d.verdict).toBe("accept");
    expect(d.message.nlri).toEqual([parsePrefix("203.0.113.0/24")]);
    expect(d.message.attributes).toEqual([
      { type: "origin", origin: 0 },
      { type: "asPath", segments: [{ type: "sequence", asns: [65000] }] },
      { type: "nextHop", nextHop: "192.0.2.1" },
      { type: "localPref", localPref: 250 },
      { type: "communities", communities: [0xfbf40001] },
      { type: "largeCommunities", communities: [{ global: 4200000001, local1: 1, local2: 2 }] },
    ]);
  });

  it("IPv6 UPDATE: MP_REACH_NLRI with global and link-local next hops", () => {
    const reach = attr(0x80, 14, [
      ...[0, 2, 1, 32],
      ...[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x11],
      ...[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
      0,
      ...[128, 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ]);
    const d = decodeUpdate(update(b(reach, ORIGIN, AS_PATH)));
    expect(d.verdict).toBe("accept");
    expect(d.message.attributes[0]).toEqual({
      type: "mpReach",
      afi: 2,
      safi: 1,
      nextHops: ["2001:db8:0:1::11", "fe80::1"],
      nlri: [parsePrefix("2001:db8:ff::1/128")],
    });
  });

  it("End-of-RIB markers: empty UPDATE for IPv4, empty MP_UNREACH_NLRI for IPv6", () => {
    expect(encodeMessage(endOfRib(4), FOUR).length).toBe(23);
    expect(encodeMessage(endOfRib(6), FOUR).subarray(19).toString("hex")).toBe(
      "0000" + "0006" + "800f03000201",
    );
    for (const f of [4, 6] as const) {
      expect(endOfRibFamily(decodeUpdate(encodeMessage(endOfRib(f), FOUR)).message)).toBe(f);
    }
    expect(endOfRibFamily(decodeUpdate(update(BASE, NLRI)).message)).toBeUndefined();
  });

  it("NOTIFICATION: the RFC 9003 shutdown communication is shown", () => {
    const data = shutdownCommunication("maintenance ✓");
    expect(describeNotificationMessage({ code: 6, subcode: 2, data })).toBe(
      'Cease / Administrative Shutdown (6/2): "maintenance ✓"',
    );
    expect(describeNotificationMessage({ code: 4, subcode: 0, data: Buffer.alloc(0) })).toBe(
      "Hold Timer Expired / Unspecific (4/0)",
    );
  });
});

describe("BGP codec: RFC 4271 §6 message errors → NOTIFICATION", () => {
  const open = (params: Buffer, declared = params.length) =>
    message(1, b(4, u16(65000), u16(90), [192, 0, 2, 9], declared, params));
  it.each<[string, Buffer, [number, number]]>([
    ["marker not all ones", b(Buffer.alloc(15, 0xff), 0, u16(19), 4), [1, 1]],
    ["length below 19", b(Buffer.alloc(16, 0xff), u16(18), 4, 0), [1, 2]],
    ["length above 4096", b(Buffer.alloc(16, 0xff), u16(4097), 2), [1, 2]],
    ["unknown message type", message(9, Buffer.alloc(0)), [1, 3]],
    ["KEEPALIVE with a body", message(4, Buffer.from([0])), [1, 2]],
    ["OPEN shorter than 29", message(1, Buffer.alloc(9)), [1, 2]],
    ["OPEN parameters length disagrees", open(b([2, 2, 2, 0]), 5), [1, 2]],
    ["OPEN with an unsupported optional parameter", open(b([1, 2, 0, 0])), [2, 4]],
    ["OPEN with a malformed capability", open(b([2, 5, 1, 3, 0, 1, 0])), [2, 0]],
    ["UPDATE withdrawn length past the end", message(2, b(u16(50), u16(0))), [3, 1]],
    ["UPDATE attribute length past the end", message(2, b(u16(0), u16(40), ORIGIN)), [3, 1]],
    ["UPDATE NLRI prefix longer than 32", update(BASE, [33, 1, 2, 3, 4, 5]), [3, 10]],
    ["UPDATE NLRI prefix truncated", update(BASE, [24, 203, 0]), [3, 10]],
    ["UPDATE withdrawn prefix malformed", update(Buffer.alloc(0), [], [40, 1, 2, 3, 4, 5]), [3, 1]],
    [
      "ROUTE-REFRESH with ORF data (not negotiated)",
      message(5, Buffer.from([0, 1, 0, 1, 9])),
      [1, 2],
    ],
    [
      "enhanced ROUTE-REFRESH of the wrong length",
      message(5, Buffer.from([0, 1, 1, 1, 9])),
      [7, 1],
    ],
  ])("%s", (_name, bytes, expected) => {
    expect(notify(bytes)).toEqual(expected);
  });
});

describe("BGP codec: RFC 7606 UPDATE error handling", () => {
  const verdict = (d: DecodedUpdate) => [
    d.verdict,
    d.problems.map((p) => `${p.attribute}:${p.action}`),
  ];
  it.each<[string, Buffer, [string, string[]]]>([
    [
      "ORIGIN of length 2",
      update(b(attr(0x40, 1, [0, 0]), AS_PATH, NEXT_HOP), NLRI),
      ["treat-as-withdraw", ["ORIGIN:treat-as-withdraw"]],
    ],
    [
      "undefined ORIGIN value",
      update(b(attr(0x40, 1, [3]), AS_PATH, NEXT_HOP), NLRI),
      ["treat-as-withdraw", ["ORIGIN:treat-as-withdraw"]],
    ],
    [
      "ORIGIN flagged optional",
      update(b(attr(0xc0, 1, [0]), AS_PATH, NEXT_HOP), NLRI),
      ["treat-as-withdraw", ["ORIGIN:treat-as-withdraw"]],
    ],
    [
      "AS_PATH with an unknown segment type",
      update(b(ORIGIN, attr(0x40, 2, [7, 1, 0, 0, 0, 1]), NEXT_HOP), NLRI),
      ["treat-as-withdraw", ["AS_PATH:treat-as-withdraw"]],
    ],
    [
      "AS_PATH segment overrunning",
      update(b(ORIGIN, attr(0x40, 2, [2, 3, 0, 0, 0, 1]), NEXT_HOP), NLRI),
      ["treat-as-withdraw", ["AS_PATH:treat-as-withdraw"]],
    ],
    [
      "empty AS_PATH segment",
      update(b(ORIGIN, attr(0x40, 2, [2, 0]), NEXT_HOP), NLRI),
      ["treat-as-withdraw", ["AS_PATH:treat-as-withdraw"]],
    ],
    [
      "NEXT_HOP of length 5",
      update(b(ORIGIN, AS_PATH, attr(0x40, 3, [1, 2, 3, 4, 5])), NLRI),
      ["treat-as-withdraw", ["NEXT_HOP:treat-as-withdraw"]],
    ],
    [
      "MED of length 3",
      update(b(BASE, attr(0x80, 4, [0, 0, 1])), NLRI),
      ["treat-as-withdraw", ["MULTI_EXIT_DISC:treat-as-withdraw"]],
    ],
    [
      "LOCAL_PREF of length 2",
      update(b(BASE, attr(0x40, 5, [0, 1])), NLRI),
      ["treat-as-withdraw", ["LOCAL_PREF:treat-as-withdraw"]],
    ],
    [
      "ATOMIC_AGGREGATE of length 1",
      update(b(BASE, attr(0x40, 6, [1])), NLRI),
      ["accept", ["ATOMIC_AGGREGATE:discard"]],
    ],
    [
      "AGGREGATOR of length 7",
      update(b(BASE, attr(0xc0, 7, [0, 0, 0, 1, 192, 0, 2])), NLRI),
      ["accept", ["AGGREGATOR:discard"]],
    ],
    [
      "AGGREGATOR with AS 0 (RFC 7607)",
      update(b(BASE, attr(0xc0, 7, [0, 0, 0, 0, 192, 0, 2, 1])), NLRI),
      ["accept", ["AGGREGATOR:discard"]],
    ],
    [
      "COMMUNITIES of length 5",
      update(b(BASE, attr(0xc0, 8, [0, 0, 0, 1, 2])), NLRI),
      ["treat-as-withdraw", ["COMMUNITIES:treat-as-withdraw"]],
    ],
    [
      "CLUSTER_LIST of length 6",
      update(b(BASE, attr(0x80, 10, [1, 2, 3, 4, 5, 6])), NLRI),
      ["treat-as-withdraw", ["CLUSTER_LIST:treat-as-withdraw"]],
    ],
    [
      "EXTENDED_COMMUNITIES of length 7",
      update(b(BASE, attr(0xc0, 16, [0, 2, 0, 0, 0, 0, 1])), NLRI),
      ["treat-as-withdraw", ["EXTENDED_COMMUNITIES:treat-as-withdraw"]],
    ],
    [
      "LARGE_COMMUNITY of length 13",
      update(b(BASE, attr(0xc0, 32, Array<number>(13).fill(1))), NLRI),
      ["treat-as-withdraw", ["LARGE_COMMUNITY:treat-as-withdraw"]],
    ],
    [
      "AS4_PATH malformed (RFC 6793)",
      update(b(BASE, attr(0xc0, 17, [2, 2, 0, 0, 0, 1])), NLRI),
      ["accept", ["AS4_PATH:discard"]],
    ],
    [
      "a repeated attribute: later copies discarded",
      update(b(BASE, ORIGIN), NLRI),
      ["accept", ["ORIGIN:discard"]],
    ],
    [
      "NEXT_HOP missing while announcing",
      update(b(ORIGIN, AS_PATH), NLRI),
      ["treat-as-withdraw", ["NEXT_HOP:treat-as-withdraw"]],
    ],
    [
      "mandatory attributes absent in a pure withdrawal",
      update(Buffer.alloc(0), [], NLRI),
      ["accept", []],
    ],
    [
      "attribute list broken after the NLRI is known",
      update(b(BASE, [0x40, 5, 9, 0]), NLRI),
      ["treat-as-withdraw", ["path attributes:treat-as-withdraw"]],
    ],
    [
      "unknown optional transitive attribute kept",
      update(b(BASE, attr(0xc0, 99, [1, 2, 3])), NLRI),
      ["accept", []],
    ],
    [
      "unknown optional non-transitive attribute ignored",
      update(b(BASE, attr(0x80, 99, [1, 2, 3])), NLRI),
      ["accept", []],
    ],
    [
      "MP_REACH_NLRI of a family we do not speak is ignored",
      update(b(attr(0x80, 14, [0, 25, 70, 4, 1, 2, 3, 4, 0, 9]), ORIGIN, AS_PATH)),
      ["accept", []],
    ],
  ])("%s", (_name, bytes, expected) => {
    expect(verdict(decodeUpdate(bytes))).toEqual(expected);
  });

  it.each<[string, Buffer, [number, number]]>([
    ["MP_REACH_NLRI twice", update(b(MP_REACH_V6(), MP_REACH_V6(), ORIGIN, AS_PATH)), [3, 1]],
    [
      "MP_REACH_NLRI next hop length 5",
      update(b(attr(0x80, 14, [0, 2, 1, 5, 1, 2, 3, 4, 5, 0]), ORIGIN, AS_PATH)),
      [3, 9],
    ],
    [
      "MP_REACH_NLRI prefix longer than 128",
      update(b(MP_REACH_V6([129, 1]), ORIGIN, AS_PATH)),
      [3, 9],
    ],
    ["MP_UNREACH_NLRI truncated", update(b(attr(0x80, 15, [0, 2]))), [3, 9]],
    ["unrecognised well-known attribute", update(b(BASE, attr(0x40, 99, [1])), NLRI), [3, 2]],
    ["attribute list broken with no NLRI located", update(b(ORIGIN, [0x40, 2, 9, 0])), [3, 1]],
  ])("%s → session reset", (_name, bytes, expected) => {
    expect(notify(bytes)).toEqual(expected);
  });

  it("2-octet sessions read 2-octet AS numbers", () => {
    const d = decodeUpdate(
      update(b(ORIGIN, attr(0x40, 2, [2, 2, 0xfd, 0xe8, 0x5b, 0xa0]), NEXT_HOP), NLRI),
      {
        fourOctetAs: false,
      },
    );
    expect(d.message.attributes[1]).toEqual({
      type: "asPath",
      segments: [{ type: "sequence", asns: [65000, 23456] }],
    });
  });
});
