// What a session sends: the attributes a route gets per session kind, the diff between what
// the peer holds and what it should hold, packed into few UPDATEs; route validation; our own
// next hops. Properties replay the planned UPDATEs into a model of the peer's RIB.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NetworkInterfaceInfo } from "node:os";
import { decodeMessage, encodeMessage } from "../../src/runtime/bgp/codec/message.js";
import { formatPrefix } from "../../src/runtime/bgp/codec/prefix.js";
import type { DecodedUpdate } from "../../src/runtime/bgp/codec/update.js";
import { sessionNextHops } from "../../src/runtime/bgp/next-hops.js";
import { exportAttributes, planRibOut, type ExportContext } from "../../src/runtime/bgp/rib-out.js";
import { RouteError, canonicalRoutes, type Route } from "../../src/runtime/bgp/route.js";
import { EBGP_SESSION } from "../../src/lab/bgp-arbitraries.js";

const EBGP = EBGP_SESSION;
const IBGP: ExportContext = { ...EBGP, ibgp: true, localAsn: 64512 };

const route = (prefix: string, extra: Partial<Route> = {}): Route => ({
  prefix,
  communities: [],
  largeCommunities: [],
  ...extra,
});
const one = (r: Route) => [...canonicalRoutes([r]).values()][0]!;

describe("attributes per session", () => {
  it("eBGP IPv4: our AS, our next hop, communities sorted, no LOCAL_PREF", () => {
    expect(
      exportAttributes(
        one(
          route("203.0.113.1/32", {
            localPref: 250,
            communities: ["65535:65281", "64500:1"],
            largeCommunities: ["1:2:3"],
          }),
        ),
        EBGP,
      ),
    ).toEqual([
      { type: "origin", origin: 0 },
      { type: "asPath", segments: [{ type: "sequence", asns: [4200000001] }] },
      { type: "nextHop", nextHop: "192.0.2.11" },
      { type: "communities", communities: [0xfbf40001, 0xffffff01] },
      { type: "largeCommunities", communities: [{ global: 1, local1: 2, local2: 3 }] },
    ]);
  });

  it("iBGP IPv6: MP_REACH first with global + link-local next hops, empty AS path, LOCAL_PREF (default 100)", () => {
    expect(exportAttributes(one(route("2001:db8:ff::/64")), IBGP)).toEqual([
      { type: "mpReach", afi: 2, safi: 1, nextHops: ["2001:db8::11", "fe80::11"], nlri: [] },
      { type: "origin", origin: 0 },
      { type: "asPath", segments: [] },
      { type: "localPref", localPref: 100 },
    ]);
  });

  it("a third-party next hop goes alone (our link-local would be wrong for it)", () => {
    expect(
      exportAttributes(one(route("2001:db8:ff::/64", { nextHop: "2001:db8::99" })), IBGP),
    ).toContainEqual({
      type: "mpReach",
      afi: 2,
      safi: 1,
      nextHops: ["2001:db8::99"],
      nlri: [],
    });
  });

  it("a 2-octet eBGP peer gets AS_TRANS in AS_PATH and our AS in AS4_PATH (RFC 6793)", () => {
    const attrs = exportAttributes(one(route("203.0.113.1/32")), { ...EBGP, fourOctetAs: false });
    expect(attrs).toContainEqual({
      type: "asPath",
      segments: [{ type: "sequence", asns: [23456] }],
    });
    expect(attrs).toContainEqual({
      type: "as4Path",
      segments: [{ type: "sequence", asns: [4200000001] }],
    });
  });

  it("routes the session cannot carry say why", () => {
    expect(exportAttributes(one(route("2001:db8:ff::/64")), { ...EBGP, families: [4] })).toBe(
      "IPv6 unicast was not negotiated with the peer",
    );
    expect(
      exportAttributes(one(route("2001:db8:ff::/64")), { ...EBGP, nextHop6: undefined }),
    ).toMatch(/no IPv6 next hop/);
  });
});

describe("route validation", () => {
  it("names every bad route and field, and changes nothing", () => {
    let error: unknown;
    try {
      canonicalRoutes([
        route("203.0.113.1/24"),
        route("203.0.113.9/32", { communities: ["70000:1"], largeCommunities: ["1:2"] }),
        route("2001:db8::/64", { nextHop: "192.0.2.1", localPref: -1 }),
        route("198.51.100.1/32", { localPref: 1 }),
        route("198.51.100.1/32", { localPref: 2 }),
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RouteError);
    expect((error as RouteError).problems).toEqual([
      'route 0 (203.0.113.1/24): prefix "203.0.113.1/24" is not an IPv4/IPv6 prefix without host bits (e.g. 203.0.113.10/32)',
      'route 1 (203.0.113.9/32): community "70000:1" must be "AS:value" (each 0..65535)',
      'route 1 (203.0.113.9/32): large community "1:2" must be "global:local1:local2" (each 0..4294967295)',
      'route 2 (2001:db8::/64): next hop "192.0.2.1" must be an address of the prefix\'s family',
      "route 2 (2001:db8::/64): localPref -1 must be an integer 0..4294967295",
      "route 4 (198.51.100.1/32): 198.51.100.1/32 is given twice with different attributes; merge them into one route",
    ]);
  });

  it("canonical form: RFC 5952 prefixes, sorted unique communities; exact duplicates merge", () => {
    const routes = canonicalRoutes([
      route("2001:DB8:0:0::/64", { communities: ["2:2", "1:1", "2:2"] }),
      route("2001:db8::/64", { communities: ["1:1", "2:2"] }),
    ]);
    expect([...routes.keys()]).toEqual(["2001:db8::/64"]);
    expect(routes.get("2001:db8::/64")?.communities).toEqual([0x10001, 0x20002]);
  });
});

/** The peer's RIB after our UPDATEs: prefix → the attributes it holds (as JSON). */
function replay(
  rib: Map<string, string>,
  plan: ReturnType<typeof planRibOut>,
): Map<string, string> {
  const out = new Map(rib);
  for (const m of plan.messages) {
    const bytes = encodeMessage(m, EBGP);
    expect(bytes.length).toBeLessThanOrEqual(4096);
    const d = decodeMessage(bytes, EBGP) as DecodedUpdate;
    expect(d.verdict).toBe("accept");
    const attrs = d.message.attributes;
    const reach = attrs.find((a) => a.type === "mpReach");
    const unreach = attrs.find((a) => a.type === "mpUnreach");
    for (const p of [
      ...d.message.withdrawn,
      ...(unreach?.type === "mpUnreach" ? unreach.withdrawn : []),
    ]) {
      out.delete(formatPrefix(p));
    }
    const announced = [...d.message.nlri, ...(reach?.type === "mpReach" ? reach.nlri : [])];
    if (!announced.length) continue;
    const key = JSON.stringify(attrs.map((a) => (a.type === "mpReach" ? { ...a, nlri: [] } : a)));
    for (const p of announced) out.set(formatPrefix(p), key);
  }
  return out;
}

const expected = (routes: Route[], ctx: ExportContext) =>
  new Map(
    [...canonicalRoutes(routes).values()].map((r) => [
      r.key,
      JSON.stringify(exportAttributes(r, ctx)),
    ]),
  );

const DOC_NETS = ["192.0.2", "198.51.100", "203.0.113"];
/** The n-th /len in the IPv4 documentation ranges (n < 3 · 2^(len−24)). */
const docPrefix = (n: number, len = 32): string => {
  const per = 2 ** (len - 24);
  return `${DOC_NETS[Math.floor(n / per)]}.${(n % per) * 2 ** (32 - len)}/${len}`;
};

const routesArb = fc
  .uniqueArray(
    fc.record({
      v6: fc.boolean(),
      n: fc.integer({ min: 0, max: 767 }),
      tag: fc.integer({ min: 0, max: 3 }),
      pref: fc.option(fc.constantFrom(100, 200)),
    }),
    { selector: (r) => `${r.v6}-${r.n}`, maxLength: 1200 },
  )
  .map((rs) =>
    rs.map((r) =>
      route(r.v6 ? `2001:db8:ff::${r.n.toString(16)}/128` : docPrefix(r.n), {
        communities: r.tag ? [`64500:${r.tag}`] : [],
        ...(r.pref !== null ? { localPref: r.pref } : {}),
      }),
    ),
  );

describe("RIB-out diff and packing", () => {
  it("replaying the plan turns what the peer held into exactly what it should hold", () => {
    fc.assert(
      fc.property(routesArb, routesArb, fc.constantFrom(EBGP, IBGP), (before, after, ctx) => {
        const first = planRibOut(new Map(), canonicalRoutes(before), ctx);
        const held = replay(new Map(), first);
        expect(held).toEqual(expected(before, ctx));
        const second = planRibOut(first.adjRibOut, canonicalRoutes(after), ctx);
        expect(replay(held, second)).toEqual(expected(after, ctx));
        // Idempotent: nothing left to send.
        expect(planRibOut(second.adjRibOut, canonicalRoutes(after), ctx).messages).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it("only changed prefixes are sent", () => {
    fc.assert(
      fc.property(routesArb, fc.integer({ min: 0, max: 50 }), (routes, k) => {
        const first = planRibOut(new Map(), canonicalRoutes(routes), EBGP);
        const changed = routes.map((r, i) => (i < k ? { ...r, communities: ["64500:99"] } : r));
        const plan = planRibOut(first.adjRibOut, canonicalRoutes(changed), EBGP);
        expect(plan.announced).toBe(Math.min(k, routes.length));
        expect(plan.withdrawn).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it("prefixes with equal attributes share UPDATEs: 1000 /32s need 2 messages", () => {
    const routes = Array.from({ length: 1000 }, (_, i) =>
      route(`198.51.${100 + (i >> 8)}.${i & 255}/32`),
    );
    const plan = planRibOut(new Map(), canonicalRoutes(routes), EBGP);
    expect(plan.messages.length).toBe(2); // 1000 × 5 octets > 4096 − headers
    expect(plan.messages.map((m) => m.nlri.length).reduce((a, b) => a + b)).toBe(1000);
    const v6 = Array.from({ length: 1000 }, (_, i) => route(`2001:db8:ff::${i.toString(16)}/128`));
    const plan6 = planRibOut(new Map(), canonicalRoutes(v6), EBGP);
    expect(plan6.messages.length).toBe(5); // 17 octets each
    const gone = planRibOut(plan6.adjRibOut, new Map(), EBGP);
    expect(gone).toMatchObject({ withdrawn: 1000, announced: 0 });
    expect(gone.messages.length).toBe(5);
  });

  it("skipped routes are reported and not held", () => {
    const plan = planRibOut(new Map(), canonicalRoutes([route("2001:db8::/64")]), {
      ...EBGP,
      families: [4],
    });
    expect(plan.skipped).toEqual([
      { prefix: "2001:db8::/64", reason: "IPv6 unicast was not negotiated with the peer" },
    ]);
    expect(plan.adjRibOut.size).toBe(0);
  });
});

describe("our next hops from the interface of the session", () => {
  const iface = (address: string, cidr: string): NetworkInterfaceInfo =>
    ({
      address,
      cidr,
      family: address.includes(":") ? "IPv6" : "IPv4",
      internal: false,
      mac: "",
      netmask: "",
    }) as NetworkInterfaceInfo;
  const interfaces = {
    lo: [iface("127.0.0.1", "127.0.0.1/8")],
    eth0: [
      iface("192.0.2.11", "192.0.2.11/24"),
      iface("2001:db8:0:1::11", "2001:db8:0:1::11/64"),
      iface("fe80::11", "fe80::11/64"),
    ],
  };

  it("IPv4 session on a shared link: both families and the link-local", () => {
    expect(sessionNextHops("::ffff:192.0.2.11", "192.0.2.1", interfaces)).toEqual({
      nextHop4: "192.0.2.11",
      nextHop6: "2001:db8:0:1::11",
      linkLocal6: "fe80::11",
    });
  });

  it("a peer several hops away gets no link-local", () => {
    expect(sessionNextHops("2001:db8:0:1::11", "2001:db8:9::1", interfaces)).toEqual({
      nextHop4: "192.0.2.11",
      nextHop6: "2001:db8:0:1::11",
    });
  });
});
