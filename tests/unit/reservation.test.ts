// Reserved addresses (model/reservation.ts): carving is exact set difference, a reservation is
// announced wherever its parent is, and the allocator never hands a reserved address to anyone
// but the Services the reservation serves — not automatically, not on request.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIp, parseIp, type IpRange } from "../../src/api/formats/ip.js";
import { ENVOY_GATEWAY_LABEL, RESERVED_FROM_LABEL } from "../../src/api/gateway.js";
import type { IPAddressPoolSpec } from "../../src/api/kinds/ipaddresspool.js";
import { parseConfig } from "../../src/model/config.js";
import { poolContains } from "../../src/model/pool.js";
import { subtractRanges } from "../../src/model/reservation.js";
import {
  Allocator,
  type ServiceRequest,
} from "../../src/runtime/controller/allocator/allocator.js";

const range = fc
  .tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 12 }))
  .map(([first, len]): IpRange => ({ family: 4, first: BigInt(first), last: BigInt(first + len) }));

describe("subtractRanges", () => {
  it("keeps exactly the addresses in a range and in no hole, in entry order, ascending", () => {
    fc.assert(
      fc.property(
        fc.array(range, { maxLength: 4 }),
        fc.array(range, { maxLength: 4 }),
        (rs, hs) => {
          const out = subtractRanges(rs, hs);
          const inAny = (xs: IpRange[], v: bigint) => xs.some((r) => r.first <= v && v <= r.last);
          for (let v = 0n; v < 80n; v++) {
            expect(inAny(out, v)).toBe(inAny(rs, v) && !inAny(hs, v));
          }
          for (const r of out) expect(r.first <= r.last).toBe(true);
          // Range by range, in entry order; each range's pieces ascending and disjoint.
          expect(out).toEqual(rs.flatMap((r) => subtractRanges([r], hs)));
          for (const r of rs) {
            const pieces = subtractRanges([r], hs);
            pieces.slice(1).forEach((p, k) => expect(p.first > pieces[k]!.last + 1n).toBe(true));
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

const GATEWAY = { namespace: "infra", name: "public" };
const gatewayLabels = {
  [ENVOY_GATEWAY_LABEL.name]: GATEWAY.name,
  [ENVOY_GATEWAY_LABEL.namespace]: GATEWAY.namespace,
};
const reservation = (
  addresses: string[],
  parent = "lan",
): {
  name: string;
  labels: Record<string, string>;
  spec: IPAddressPoolSpec;
} => ({
  name: "gateway-infra-public",
  labels: { [RESERVED_FROM_LABEL]: parent },
  spec: {
    addresses,
    serviceAllocation: {
      namespaces: ["envoy-gateway-system"],
      serviceSelectors: [{ matchLabels: gatewayLabels }],
    },
  },
});

const config = (
  pools: { name: string; labels?: Record<string, string>; spec: IPAddressPoolSpec }[],
) =>
  parseConfig(
    {
      pools,
      l2Advertisements: [{ name: "lan", spec: { ipAddressPools: ["lan"] } }],
      bgpAdvertisements: [],
    },
    { namespace: "metallb-system" },
  );

const request = (key: string, over: Partial<ServiceRequest> = {}): ServiceRequest => ({
  key,
  namespace: key.split("/")[0]!,
  labels: {},
  namespaceLabels: {},
  families: [4],
  familyPolicy: "SingleStack",
  requestedIps: [],
  ports: [{ protocol: "TCP", port: 443 }],
  trafficPolicy: "Cluster",
  selectorKey: "",
  ...over,
});
const ip = (t: string) => parseIp(t)!;

describe("a reservation carved from a pool", () => {
  const lan = { name: "lan", spec: { addresses: ["198.51.100.8/29", "2001:db8::/126"] } };
  const cfg = config([lan, reservation(["198.51.100.10/32", "2001:db8::2/128"])]);

  it("leaves the parent, is no overlap, and is announced where the parent is", () => {
    expect(cfg.problems.filter((p) => p.severity === "error")).toEqual([]);
    const parent = cfg.poolsByName.get("lan")!;
    expect(poolContains(parent, ip("198.51.100.10"))).toBe(false);
    expect(poolContains(parent, ip("198.51.100.11"))).toBe(true);
    expect(poolContains(parent, ip("2001:db8::2"))).toBe(false);
    expect([...cfg.l2Advertisements[0]!.pools].sort()).toEqual(["gateway-infra-public", "lan"]);
  });

  it("is never auto-assigned and refused on request to other Services, naming the reservation", () => {
    const a = new Allocator();
    a.setPools(cfg.pools);
    const taken = Array.from({ length: 7 }, (_, i) => a.assign(request(`t/s${i}`)));
    const got = taken.flatMap((r) => (r.ok ? r.assignment.ips.map(formatIp) : []));
    expect(got).toEqual([
      "198.51.100.8",
      "198.51.100.9",
      "198.51.100.11",
      "198.51.100.12",
      "198.51.100.13",
      "198.51.100.14",
      "198.51.100.15",
    ]);
    const steal = a.assign(request("tenant/steal", { requestedIps: [ip("198.51.100.10")] }));
    expect(steal).toMatchObject({ ok: false, reason: "PoolDoesNotServe" });
    expect(!steal.ok && steal.message).toMatch(/reserved from lan.*Gateway infra\/public/);
    // A tenant copying the Gateway's labels in its own namespace is not served either.
    const copy = a.assign(
      request("tenant/copy", { labels: gatewayLabels, requestedIps: [ip("198.51.100.10")] }),
    );
    expect(copy.ok).toBe(false);
  });

  it("is assigned to its Gateway's Service without asking, in both families", () => {
    const a = new Allocator();
    a.setPools(cfg.pools);
    const r = a.assign(
      request("envoy-gateway-system/envoy-infra-public-1a2b3c4d", {
        labels: gatewayLabels,
        families: [4, 6],
        familyPolicy: "RequireDualStack",
      }),
    );
    expect(r.ok && r.assignment).toEqual({
      pool: "gateway-infra-public",
      ips: [ip("198.51.100.10"), ip("2001:db8::2")],
    });
  });

  it("names what is wrong: a missing parent, an address outside it, a reservation of a reservation", () => {
    const missing = config([lan, reservation(["198.51.100.10/32"], "wan")]);
    const noParent = missing.problems.find((p) => p.name === "gateway-infra-public");
    expect(noParent).toMatchObject({
      field: ["metadata", "labels", RESERVED_FROM_LABEL],
      severity: "error",
    });
    expect(noParent?.message).toMatch(/"wan", does not exist/);
    const outside = config([lan, reservation(["198.51.100.10/32", "203.0.113.7/32"])]);
    expect(outside.problems).toContainEqual(
      expect.objectContaining({
        field: ["spec", "addresses", 1],
        message: "203.0.113.7 is not inside pool lan, which it is reserved from",
      }),
    );
    const nested = config([
      lan,
      reservation(["198.51.100.10/32"]),
      { ...reservation(["198.51.100.10/32"], "gateway-infra-public"), name: "inner" },
    ]);
    expect(nested.problems.map((p) => p.message)).toContainEqual(
      expect.stringMatching(/is itself a reservation/),
    );
    // An overlap that is not a carving is still one.
    const twice = config([
      lan,
      reservation(["198.51.100.10/32"]),
      { ...reservation(["198.51.100.10/31"]), name: "other" },
    ]);
    expect(twice.problems.some((p) => /overlaps/.test(p.message))).toBe(true);
  });
});
