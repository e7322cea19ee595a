// fast-check generators of well-formed BGP messages (for round trips, the decoder fuzzer and
// the codec benchmark).
import fc from "fast-check";
import { formatIp } from "../api/formats/ip.js";
import type { AsPathSegment } from "../runtime/bgp/codec/as-path.js";
import type { PathAttribute } from "../runtime/bgp/codec/attributes.js";
import type { Capability } from "../runtime/bgp/codec/capabilities.js";
import type { BgpMessage } from "../runtime/bgp/codec/message.js";
import type { OpenMessage } from "../runtime/bgp/codec/open.js";
import type { Prefix } from "../runtime/bgp/codec/prefix.js";
import type { UpdateMessage } from "../runtime/bgp/codec/update.js";
import type { ExportContext } from "../runtime/bgp/rib-out.js";

/** An eBGP session with a 4-octet AS, both families, our own next hops on a shared link. */
export const EBGP_SESSION: ExportContext = {
  ibgp: false,
  localAsn: 4200000001,
  fourOctetAs: true,
  families: [4, 6],
  nextHop4: "192.0.2.11",
  nextHop6: "2001:db8::11",
  linkLocal6: "fe80::11",
};

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const ipv4 = u32.map((v) => formatIp({ family: 4, value: BigInt(v) }));
export const ipv6 = fc
  .bigInt({ min: 0n, max: (1n << 128n) - 1n })
  .map((v) => formatIp({ family: 6, value: v }));

export function prefixArb(family: 4 | 6): fc.Arbitrary<Prefix> {
  const bits = family === 4 ? 32 : 128;
  return fc
    .record({
      length: fc.integer({ min: 0, max: bits }),
      addr: fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }),
    })
    .map(({ length, addr }) => {
      const host = BigInt(bits - length);
      return { family, addr: (addr >> host) << host, length };
    });
}

const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ kind: fc.constant("multiprotocol" as const), afi: u16, safi: u8 }),
  fc.constant({ kind: "routeRefresh" as const }),
  fc.constant({ kind: "extendedMessage" as const }),
  fc.constant({ kind: "enhancedRouteRefresh" as const }),
  fc.record({ kind: fc.constant("fourOctetAs" as const), asn: u32 }),
  fc.record({
    kind: fc.constant("gracefulRestart" as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: u16, safi: u8, forwarding: fc.boolean() }), {
      maxLength: 4,
    }),
  }),
  fc.record({
    kind: fc.constant("unknown" as const),
    code: fc.constantFrom(0, 3, 5, 69, 71, 73, 75, 128, 255),
    value: fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
  }),
);

export const openArb: fc.Arbitrary<OpenMessage> = fc.record({
  type: fc.constant("open" as const),
  version: u8,
  myAs: u16,
  holdTime: u16,
  bgpId: u32,
  capabilities: fc.array(capability, { maxLength: 8 }),
});

function segmentsArb(asnMax: number): fc.Arbitrary<AsPathSegment[]> {
  return fc.array(
    fc.record({
      type: fc.constantFrom("set", "sequence", "confedSequence", "confedSet"),
      asns: fc.array(fc.integer({ min: 0, max: asnMax }), { minLength: 1, maxLength: 6 }),
    }),
    { maxLength: 3 },
  );
}

const largeCommunity = fc.record({ global: u32, local1: u32, local2: u32 });

/** Optional attributes, at most one of each type (the codec discards repeats). */
function optionalAttributes(fourOctetAs: boolean): fc.Arbitrary<PathAttribute[]> {
  const asnMax = fourOctetAs ? 0xffffffff : 0xffff;
  const pool: fc.Arbitrary<PathAttribute>[] = [
    u32.map((med) => ({ type: "med" as const, med })),
    u32.map((localPref) => ({ type: "localPref" as const, localPref })),
    fc.constant({ type: "atomicAggregate" as const }),
    fc.record({
      type: fc.constant("aggregator" as const),
      asn: fc.integer({ min: 1, max: asnMax }),
      address: ipv4,
    }),
    fc.record({
      type: fc.constant("communities" as const),
      communities: fc.array(u32, { minLength: 1, maxLength: 6 }),
    }),
    fc.record({ type: fc.constant("originatorId" as const), originatorId: ipv4 }),
    fc.record({
      type: fc.constant("clusterList" as const),
      clusterIds: fc.array(ipv4, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({
      type: fc.constant("extendedCommunities" as const),
      communities: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), {
        minLength: 1,
        maxLength: 3,
      }),
    }),
    fc.record({
      type: fc.constant("as4Path" as const),
      segments: segmentsArb(0xffffffff).map((s) =>
        s.filter((x) => x.type === "set" || x.type === "sequence"),
      ),
    }),
    fc.record({
      type: fc.constant("as4Aggregator" as const),
      asn: fc.integer({ min: 1, max: 0xffffffff }),
      address: ipv4,
    }),
    fc.record({
      type: fc.constant("largeCommunities" as const),
      communities: fc.array(largeCommunity, { minLength: 1, maxLength: 4 }),
    }),
    fc.record({
      type: fc.constant("unknown" as const),
      code: fc.constantFrom(22, 26, 35, 40, 128, 200, 255),
      flags: fc.constant(0xc0),
      value: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    }),
  ];
  return fc
    .subarray(pool.map((_, i) => i))
    .chain((picked) =>
      picked.length === 0
        ? fc.constant([])
        : fc.tuple(...picked.map((i) => pool[i] as fc.Arbitrary<PathAttribute>)),
    );
}

/** A well-formed UPDATE (every attribute valid, mandatory ones present when announcing). */
export function updateArb(fourOctetAs: boolean): fc.Arbitrary<UpdateMessage> {
  const asnMax = fourOctetAs ? 0xffffffff : 0xffff;
  return fc
    .record({
      withdrawn: fc.array(prefixArb(4), { maxLength: 20 }),
      nlri: fc.array(prefixArb(4), { maxLength: 20 }),
      mp: fc.option(
        fc.oneof(
          fc.record({
            type: fc.constant("mpReach" as const),
            afi: fc.constant(2),
            safi: fc.constant(1),
            nextHops: fc.oneof(fc.tuple(ipv6), fc.tuple(ipv6, ipv6)).map((t) => [...t]),
            nlri: fc.array(prefixArb(6), { maxLength: 20 }),
          }),
          fc.record({
            type: fc.constant("mpUnreach" as const),
            afi: fc.constant(2),
            safi: fc.constant(1),
            withdrawn: fc.array(prefixArb(6), { maxLength: 20 }),
          }),
        ),
      ),
      origin: fc.integer({ min: 0, max: 2 }),
      segments: segmentsArb(asnMax),
      nextHop: ipv4,
      optional: optionalAttributes(fourOctetAs),
      withBase: fc.boolean(),
    })
    .map(({ withdrawn, nlri, mp, origin, segments, nextHop, optional, withBase }) => {
      const announcing = nlri.length > 0 || (mp?.type === "mpReach" && mp.nlri.length > 0);
      const attributes: PathAttribute[] = [];
      if (mp) attributes.push(mp);
      if (announcing || withBase) {
        attributes.push({ type: "origin", origin }, { type: "asPath", segments });
        if (nlri.length || withBase) attributes.push({ type: "nextHop", nextHop });
        attributes.push(...optional);
      }
      return { type: "update" as const, withdrawn, attributes, nlri };
    });
}

export const notificationArb = fc.record({
  type: fc.constant("notification" as const),
  code: u8,
  subcode: u8,
  data: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
});

export const routeRefreshArb = fc.record({
  type: fc.constant("routeRefresh" as const),
  afi: u16,
  safi: u8,
  subtype: u8,
});

export function messageArb(fourOctetAs: boolean): fc.Arbitrary<BgpMessage> {
  return fc.oneof(
    openArb,
    updateArb(fourOctetAs),
    notificationArb,
    routeRefreshArb,
    fc.constant({ type: "keepalive" as const }),
  );
}
