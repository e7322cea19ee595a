// What depends on the peer: accepting its OPEN (RFC 4271 §6.2, RFC 6286, RFC 6793, RFC 4760,
// RFC 7607) and judging its UPDATEs by session (eBGP rules, AS4_PATH reconstruction, AS 0,
// next-hop sanity).
import { describe, expect, it } from "vitest";
import type { PathAttribute } from "../../src/runtime/bgp/codec/attributes.js";
import type { OpenMessage } from "../../src/runtime/bgp/codec/open.js";
import { parsePrefix, type Prefix } from "../../src/runtime/bgp/codec/prefix.js";
import type { DecodedUpdate } from "../../src/runtime/bgp/codec/update.js";
import { BgpError } from "../../src/runtime/bgp/errors.js";
import { buildOpen, negotiate, type LocalConfig } from "../../src/runtime/bgp/negotiate.js";
import { checkReceivedUpdate, type ReceiveContext } from "../../src/runtime/bgp/update-check.js";

const LOCAL: LocalConfig = {
  localAsn: 4200000001,
  peerAsn: 64512,
  routerId: "192.0.2.11",
  holdTime: 90,
  keepaliveTime: 10,
  families: [4, 6],
  gracefulRestart: { restartTime: 120 },
};

const peerOpen = (over: Partial<OpenMessage> = {}): OpenMessage => ({
  type: "open",
  version: 4,
  myAs: 64512,
  holdTime: 9,
  bgpId: 0xc0000201,
  capabilities: [
    { kind: "multiprotocol", afi: 1, safi: 1 },
    { kind: "multiprotocol", afi: 2, safi: 1 },
    { kind: "routeRefresh" },
    { kind: "fourOctetAs", asn: 64512 },
  ],
  ...over,
});

function refusal(cfg: LocalConfig, open: OpenMessage): [number, number, string] {
  try {
    negotiate(cfg, open);
  } catch (err) {
    if (err instanceof BgpError)
      return [err.code, err.subcode, Buffer.from(err.data).toString("hex")];
    throw err;
  }
  throw new Error("accepted");
}

describe("our OPEN", () => {
  it("AS_TRANS with the 4-octet AS capability, MP per family, route refresh, GR with F bits", () => {
    expect(buildOpen(LOCAL, true)).toEqual({
      type: "open",
      version: 4,
      myAs: 23456,
      holdTime: 90,
      bgpId: 0xc000020b,
      capabilities: [
        { kind: "multiprotocol", afi: 1, safi: 1 },
        { kind: "multiprotocol", afi: 2, safi: 1 },
        { kind: "routeRefresh" },
        { kind: "fourOctetAs", asn: 4200000001 },
        {
          kind: "gracefulRestart",
          restarting: true,
          notification: false,
          restartTime: 120,
          families: [
            { afi: 1, safi: 1, forwarding: true },
            { afi: 2, safi: 1, forwarding: true },
          ],
        },
      ],
    });
    expect(buildOpen({ ...LOCAL, localAsn: 64600, gracefulRestart: undefined }, false).myAs).toBe(
      64600,
    );
  });
});

describe("accepting the peer's OPEN", () => {
  it("negotiates the smaller hold time, keepalive ≤ a third of it, common families, 4-octet AS", () => {
    expect(negotiate(LOCAL, peerOpen())).toEqual({
      peerAsn: 64512,
      peerId: "192.0.2.1",
      ibgp: false,
      holdTime: 9,
      keepaliveMs: 3000,
      fourOctetAs: true,
      families: [4, 6],
      routeRefresh: true,
    });
    expect(negotiate(LOCAL, peerOpen({ holdTime: 300 })).keepaliveMs).toBe(10_000);
    expect(negotiate(LOCAL, peerOpen({ holdTime: 0 }))).toMatchObject({
      holdTime: 0,
      keepaliveMs: 0,
    });
  });

  it("a peer without capabilities is an IPv4-only, 2-octet speaker (RFC 4760, RFC 6793)", () => {
    expect(negotiate({ ...LOCAL, localAsn: 64600 }, peerOpen({ capabilities: [] }))).toMatchObject({
      families: [4],
      fourOctetAs: false,
      routeRefresh: false,
    });
  });

  it("dynamic ASN: internal and external", () => {
    expect(negotiate({ ...LOCAL, peerAsn: "external" }, peerOpen()).peerAsn).toBe(64512);
    const ibgp = { ...LOCAL, localAsn: 64512, peerAsn: "internal" as const };
    expect(negotiate(ibgp, peerOpen()).ibgp).toBe(true);
    expect(refusal({ ...LOCAL, peerAsn: "internal" }, peerOpen())).toEqual([2, 2, "fc00"]);
  });

  it("keeps the peer's graceful restart capability", () => {
    const gr = {
      kind: "gracefulRestart" as const,
      restarting: false,
      notification: false,
      restartTime: 120,
      families: [],
    };
    expect(
      negotiate(LOCAL, peerOpen({ capabilities: [...peerOpen().capabilities, gr] }))
        .peerGracefulRestart,
    ).toEqual({
      restartTime: 120,
      families: [],
    });
  });

  it.each<[string, LocalConfig, Partial<OpenMessage>, [number, number, string]]>([
    ["version 3", LOCAL, { version: 3 }, [2, 1, "0004"]],
    ["another AS", LOCAL, { capabilities: [{ kind: "fourOctetAs", asn: 64513 }] }, [2, 2, "fc00"]],
    [
      "AS 0 (RFC 7607)",
      { ...LOCAL, peerAsn: "external" },
      { myAs: 0, capabilities: [] },
      [2, 2, "0000"],
    ],
    ["hold time 2", LOCAL, { holdTime: 2 }, [2, 6, ""]],
    ["BGP identifier 0", LOCAL, { bgpId: 0 }, [2, 3, ""]],
    [
      "iBGP peer with our identifier (RFC 6286)",
      { ...LOCAL, localAsn: 64512 },
      { bgpId: 0xc000020b },
      [2, 3, ""],
    ],
    [
      "no family in common",
      { ...LOCAL, families: [6] },
      { capabilities: [{ kind: "multiprotocol", afi: 1, safi: 1 }] },
      [2, 7, "010400020001"],
    ],
  ])("refuses %s", (_name, cfg, over, expected) => {
    expect(refusal(cfg, peerOpen(over))).toEqual(expected);
  });

  it("accepts an eBGP peer that happens to use our identifier", () => {
    expect(negotiate(LOCAL, peerOpen({ bgpId: 0xc000020b })).peerId).toBe("192.0.2.11");
  });
});

const P = parsePrefix("203.0.113.0/24") as Prefix;
const received = (attributes: PathAttribute[], nlri: Prefix[] = [P]): DecodedUpdate => ({
  type: "update",
  message: { type: "update", withdrawn: [], attributes, nlri },
  verdict: "accept",
  problems: [],
});
const base = (asns: number[], nextHop = "192.0.2.1"): PathAttribute[] => [
  { type: "origin", origin: 0 },
  { type: "asPath", segments: [{ type: "sequence", asns }] },
  { type: "nextHop", nextHop },
];
const EBGP: ReceiveContext = { ibgp: false, peerAsn: 64512, fourOctetAs: true };
const IBGP: ReceiveContext = { ibgp: true, peerAsn: 64512, fourOctetAs: true };
const summary = (d: DecodedUpdate) => [
  d.verdict,
  d.problems.map((p) => `${p.attribute}:${p.action}`),
];

describe("judging the peer's UPDATEs", () => {
  it.each<[string, DecodedUpdate, ReceiveContext, [string, string[]]]>([
    ["a clean eBGP route", received(base([64512, 65000])), EBGP, ["accept", []]],
    [
      "eBGP LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST are discarded",
      received([
        ...base([64512]),
        { type: "localPref", localPref: 5 },
        { type: "originatorId", originatorId: "192.0.2.9" },
        { type: "clusterList", clusterIds: ["192.0.2.9"] },
      ]),
      EBGP,
      ["accept", ["LOCAL_PREF:discard", "ORIGINATOR_ID:discard", "CLUSTER_LIST:discard"]],
    ],
    [
      "iBGP keeps LOCAL_PREF",
      received([...base([]), { type: "localPref", localPref: 5 }]),
      IBGP,
      ["accept", []],
    ],
    [
      "eBGP path not starting with the peer's AS",
      received(base([65000])),
      EBGP,
      ["treat-as-withdraw", ["AS_PATH:treat-as-withdraw"]],
    ],
    [
      "AS 0 in the path (RFC 7607)",
      received(base([64512, 0])),
      EBGP,
      ["treat-as-withdraw", ["AS_PATH:treat-as-withdraw"]],
    ],
    [
      "confederation segments from an external peer",
      received([
        { type: "origin", origin: 0 },
        {
          type: "asPath",
          segments: [
            { type: "confedSequence", asns: [1] },
            { type: "sequence", asns: [64512] },
          ],
        },
        { type: "nextHop", nextHop: "192.0.2.1" },
      ]),
      EBGP,
      ["treat-as-withdraw", ["AS_PATH:treat-as-withdraw", "AS_PATH:treat-as-withdraw"]],
    ],
    [
      "NEXT_HOP 0.0.0.0",
      received(base([64512], "0.0.0.0")),
      EBGP,
      ["treat-as-withdraw", ["NEXT_HOP:treat-as-withdraw"]],
    ],
    [
      "multicast NEXT_HOP",
      received(base([64512], "224.0.0.5")),
      EBGP,
      ["treat-as-withdraw", ["NEXT_HOP:treat-as-withdraw"]],
    ],
    [
      "AS4_PATH from a 4-octet speaker is discarded",
      received([
        ...base([64512]),
        { type: "as4Path", segments: [{ type: "sequence", asns: [64512] }] },
      ]),
      EBGP,
      ["accept", ["AS4_PATH:discard"]],
    ],
    ["a pure withdrawal is never judged", received([], []), EBGP, ["accept", []]],
  ])("%s", (_name, update, ctx, expected) => {
    expect(summary(checkReceivedUpdate(update, ctx))).toEqual(expected);
  });

  it("2-octet session: AS_PATH + AS4_PATH give the real path, AGGREGATOR gets its real AS", () => {
    const d = checkReceivedUpdate(
      received([
        { type: "origin", origin: 0 },
        { type: "asPath", segments: [{ type: "sequence", asns: [64512, 23456, 23456, 65001] }] },
        { type: "nextHop", nextHop: "192.0.2.1" },
        { type: "aggregator", asn: 23456, address: "192.0.2.7" },
        {
          type: "as4Path",
          segments: [{ type: "sequence", asns: [4200000001, 4200000002, 65001] }],
        },
        { type: "as4Aggregator", asn: 4200000002, address: "192.0.2.8" },
      ]),
      { ...EBGP, fourOctetAs: false },
    );
    expect(d.verdict).toBe("accept");
    expect(d.message.attributes).toEqual([
      { type: "origin", origin: 0 },
      {
        type: "asPath",
        segments: [
          { type: "sequence", asns: [64512] },
          { type: "sequence", asns: [4200000001, 4200000002, 65001] },
        ],
      },
      { type: "nextHop", nextHop: "192.0.2.1" },
      { type: "aggregator", asn: 4200000002, address: "192.0.2.8" },
    ]);
  });

  it("2-octet session: an AS4_PATH longer than AS_PATH is ignored", () => {
    const d = checkReceivedUpdate(
      received([
        ...base([64512]),
        { type: "as4Path", segments: [{ type: "sequence", asns: [4200000001, 4200000002] }] },
      ]),
      { ...EBGP, fourOctetAs: false },
    );
    expect(d.message.attributes).toEqual(base([64512]));
  });

  it("2-octet session: an aggregator that is not AS_TRANS makes AS4_* stale", () => {
    const d = checkReceivedUpdate(
      received([
        ...base([64512, 23456]),
        { type: "aggregator", asn: 64512, address: "192.0.2.7" },
        { type: "as4Path", segments: [{ type: "sequence", asns: [4200000001] }] },
        { type: "as4Aggregator", asn: 4200000002, address: "192.0.2.8" },
      ]),
      { ...EBGP, fourOctetAs: false },
    );
    expect(d.message.attributes).toEqual([
      ...base([64512, 23456]),
      { type: "aggregator", asn: 64512, address: "192.0.2.7" },
    ]);
  });
});
