// The configuration model: parsed once, used by the controller, the speaker and `validate`.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KINDS } from "../../src/api/kinds/index.js";
import { fixOf, isTransitionRule } from "../../src/api/schema/cel.js";
import { cidrLengthsOf, parsePoolEntry } from "../../src/api/formats/ip.js";
import type { ConfigValues } from "../../src/api/values/schema.js";
import { configProblems } from "../../src/gitops/validate/config-check.js";
import { parseConfig, rulesOf, type ConfigResources } from "../../src/model/index.js";
import { compileError } from "../../src/model/cel/engine.js";
import { configOf } from "../../src/runtime/speaker/cluster-view.js";

const NS = "metallb-system";

describe("CEL rules in the offline engine", () => {
  const rules = KINDS.flatMap((k) =>
    [k.spec, ...(k.status ? [k.status] : [])].flatMap((s) =>
      rulesOf(s).map((r) => ({ kind: k.kind, ...r })),
    ),
  );

  it("finds the rules of every kind", () => {
    expect(rules.length).toBeGreaterThanOrEqual(15);
  });

  it.each(rules.map((r) => [`${r.kind} ${r.path || "(spec)"}: ${r.rule.message}`, r] as const))(
    "%s compiles offline and has a fix",
    (_, r) => {
      expect(fixOf(r.rule.rule)).toMatch(/\w/);
      if (!isTransitionRule(r.rule.rule)) expect(compileError(r.rule.rule)).toBeUndefined();
    },
  );
});

describe("parseConfig", () => {
  const base: ConfigResources = {
    pools: [
      { name: "gold", labels: { tier: "gold" }, spec: { addresses: ["192.0.2.0/28"] } },
      { name: "plain", spec: { addresses: ["198.51.100.10-198.51.100.20", "2001:db8::/120"] } },
    ],
  };

  it("an advertisement selects named pools plus those its selectors match; all when neither", () => {
    const c = parseConfig(
      {
        ...base,
        l2Advertisements: [
          { name: "all", spec: {} },
          { name: "named", spec: { ipAddressPools: ["plain"] } },
          {
            name: "both",
            spec: {
              ipAddressPools: ["plain"],
              ipAddressPoolSelectors: [{ matchLabels: { tier: "gold" } }],
            },
          },
          { name: "none", spec: { ipAddressPoolSelectors: [{ matchLabels: { tier: "x" } }] } },
        ],
      },
      { namespace: NS },
    );
    const pools = Object.fromEntries(c.l2Advertisements.map((a) => [a.name, [...a.pools].sort()]));
    expect(pools).toEqual({
      all: ["gold", "plain"],
      both: ["gold", "plain"],
      named: ["plain"],
      none: [],
    });
  });

  it("names what refers to nothing, with the field and a fix", () => {
    const c = parseConfig(
      {
        ...base,
        l2Advertisements: [{ name: "l2", spec: { ipAddressPools: ["glod"] } }],
        bgpAdvertisements: [{ name: "b", spec: { peers: ["tor"], communities: ["nope"] } }],
        bgpPeers: [],
      },
      { namespace: NS },
    );
    expect(c.problems.map((p) => [p.kind, p.name, p.field.join("."), p.message])).toEqual([
      ["L2Advertisement", "l2", "spec.ipAddressPools.0", 'IPAddressPool "glod" does not exist'],
      [
        "BGPAdvertisement",
        "b",
        "spec.communities.0",
        'community alias "nope" is defined in no Community object',
      ],
      ["BGPAdvertisement", "b", "spec.peers.0", 'BGPPeer "tor" does not exist'],
    ]);
    expect(c.problems.every((p) => p.fix.length > 0)).toBe(true);
  });

  it("resolves community aliases to standard and large values", () => {
    const c = parseConfig(
      {
        communities: [
          {
            name: "c",
            spec: {
              communities: [
                { name: "no-export", value: "65535:65281" },
                { name: "big", value: "large:64512:1:2" },
              ],
            },
          },
        ],
        bgpAdvertisements: [{ name: "a", spec: { communities: ["no-export", "big", "64512:7"] } }],
      },
      { namespace: NS },
    );
    expect(c.bgpAdvertisements[0]).toMatchObject({
      communities: ["65535:65281", "64512:7"],
      largeCommunities: ["64512:1:2"],
      aggregationLength: 32,
      aggregationLengthV6: 128,
    });
    expect(c.problems).toEqual([]);
  });

  it("an alias defined twice is refused at the repeat and not used by any advertisement", () => {
    const c = parseConfig(
      {
        communities: [
          { name: "site-b", spec: { communities: [{ name: "no-export", value: "64512:65281" }] } },
          { name: "site-a", spec: { communities: [{ name: "no-export", value: "65535:65281" }] } },
        ],
        bgpAdvertisements: [{ name: "a", spec: { communities: ["no-export", "64512:7"] } }],
      },
      { namespace: NS },
    );
    expect(c.bgpAdvertisements[0]).toMatchObject({ communities: ["64512:7"] });
    expect(c.problems.map((p) => [p.kind, p.name, p.field.join("."), p.message])).toEqual([
      [
        "BGPAdvertisement",
        "a",
        "spec.communities.0",
        'community alias "no-export" is defined more than once, so it is left out',
      ],
      [
        "Community",
        "site-b",
        "spec.communities.0.name",
        'community alias "no-export" is already defined in Community site-a',
      ],
    ]);
  });

  it("warns about a CIDR written with host bits set, and serves the whole prefix as upstream", () => {
    const c = parseConfig(
      { pools: [{ name: "p", spec: { addresses: ["203.0.113.5/26", "198.51.100.0/28"] } }] },
      { namespace: NS },
    );
    expect(c.pools[0]?.ranges[0]).toMatchObject({ first: 0xcb007100n, last: 0xcb00713fn });
    expect(c.problems.map((p) => [p.severity, p.field.join("."), p.message, p.fix])).toEqual([
      [
        "warning",
        "spec.addresses.0",
        '"203.0.113.5/26" has host bits set: the pool holds all of 203.0.113.0/26, not from 203.0.113.5',
        "write 203.0.113.0/26, or the range 203.0.113.5-203.0.113.63 to start at 203.0.113.5",
      ],
    ]);
  });

  it("refuses ebgpMultiHop on an iBGP peer, as upstream does", () => {
    const spec = { myASN: 64512, peerAddress: "192.0.2.1", ebgpMultiHop: true };
    const c = parseConfig(
      {
        bgpPeers: [
          { name: "rr", spec: { ...spec, peerASN: 64512 } },
          { name: "tor", spec: { ...spec, peerASN: 64513, peerAddress: "192.0.2.2" } },
        ],
      },
      { namespace: NS },
    );
    expect(c.problems.map((p) => [p.name, p.field.join(".")])).toEqual([
      ["rr", "spec.ebgpMultiHop"],
    ]);
  });

  it("reads peers: session kind, timers in seconds, where the MD5 key comes from", () => {
    const c = parseConfig(
      {
        bgpPeers: [
          {
            name: "ibgp",
            spec: {
              myASN: 64512,
              peerASN: 64512,
              peerAddress: "192.0.2.1",
              holdTime: "1m30s",
              keepaliveTime: "30s",
              connectTime: "500ms",
              passwordSecret: { name: "key" },
            },
          },
          {
            name: "dyn",
            spec: {
              myASN: 64512,
              dynamicASN: "external",
              peerAddress: "2001:db8::1",
              passwordSecret: { name: "key", namespace: "other" },
            },
          },
        ],
      },
      { namespace: NS },
    );
    const [dyn, ibgp] = c.peers;
    expect(ibgp).toMatchObject({
      ebgp: false,
      holdTimeSeconds: 90,
      keepaliveTimeSeconds: 30,
      connectTimeSeconds: 0.5,
      md5: { kind: "secret", name: "key" },
    });
    expect(dyn).toMatchObject({ ebgp: true, md5: { kind: "unusable" } });
    expect(c.problems.map((p) => `${p.name} ${p.field.join(".")}`)).toEqual([
      "dyn spec.passwordSecret.namespace",
      "ibgp spec.connectTime",
    ]);
  });

  it("reports pool overlaps on both pools, and a pool overlapping itself", () => {
    const c = parseConfig(
      {
        pools: [
          { name: "a", spec: { addresses: ["192.0.2.0/28", "192.0.2.4/32"] } },
          { name: "b", spec: { addresses: ["192.0.2.8-192.0.2.20"] } },
        ],
      },
      { namespace: NS },
    );
    expect(c.problems.map((p) => `${p.name} ${p.field.join(".")}`).sort()).toEqual([
      "a spec.addresses.0",
      "a spec.addresses.1",
      "b spec.addresses.0",
    ]);
    expect(c.pools.map((p) => p.name)).toEqual(["a", "b"]);
  });

  it("leaves out a pool whose entries are not addresses, saying so through its CEL rule", () => {
    const c = parseConfig(
      { pools: [{ name: "bad", spec: { addresses: ["nope"] } }] },
      { namespace: NS },
    );
    expect(c.pools).toEqual([]);
    expect(c.problems).toMatchObject([
      { kind: "IPAddressPool", name: "bad", field: ["spec", "addresses", 0] },
    ]);
    expect(c.problems[0]?.message).toContain("must be a CIDR");
  });
});

describe("validate and the speaker agree (one model)", () => {
  const entry = fc.oneof(
    fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
      .map(([a, b]) => `203.0.113.${Math.min(a, b)}-203.0.113.${Math.max(a, b)}`),
    fc.integer({ min: 24, max: 32 }).map((len) => `203.0.113.0/${len}`),
  );

  it("on aggregation beyond a pool, for CIDR and range pools alike", () => {
    fc.assert(
      fc.property(entry, fc.integer({ min: 20, max: 32 }), (address, agg) => {
        const values: ConfigValues = {
          ipAddressPools: [{ name: "p", spec: { addresses: [address] } }],
          l2Advertisements: [],
          bgpAdvertisements: [{ name: "a", spec: { aggregationLength: agg } }],
          bgpPeers: [],
          communities: [],
          bfdProfiles: [],
        };
        const r = parsePoolEntry(address);
        if (typeof r === "string") throw new Error(r);
        const beyond = agg < Math.max(...cidrLengthsOf(r));
        const validate = configProblems(values, NS).some(
          (p) => p.severity === "error" && p.path.includes("aggregationLength"),
        );
        const speaker = configOf(
          {
            nodes: [],
            services: [],
            endpointSlices: [],
            pools: [{ metadata: { name: "p" }, spec: { addresses: [address] } }],
            l2Advertisements: [],
            bgpAdvertisements: [{ metadata: { name: "a" }, spec: { aggregationLength: agg } }],
            bgpPeers: [],
            communities: [],
          },
          NS,
        ).problems.some((p) => p.field.includes("aggregationLength"));
        expect(validate).toBe(beyond);
        expect(speaker).toBe(beyond);
      }),
    );
  });
});

describe("localPref towards eBGP peers only", () => {
  const res = (peerASN: number, peers?: string[]): ConfigResources => ({
    pools: [{ name: "p", spec: { addresses: ["192.0.2.0/28"] } }],
    bgpPeers: [
      { name: "tor", spec: { myASN: 64512, peerASN, peerAddress: "198.51.100.1" } },
      { name: "rr", spec: { myASN: 64512, peerASN: 64512, peerAddress: "198.51.100.2" } },
    ],
    bgpAdvertisements: [{ name: "a", spec: { ipAddressPools: ["p"], localPref: 200, peers } }],
  });
  const warnings = (r: ConfigResources) =>
    parseConfig(r, { namespace: NS })
      .problems.filter((p) => p.field.join(".") === "spec.localPref")
      .map((p) => `${p.severity}: ${p.message}`);

  it("warns when every peer the advertisement reaches is eBGP", () => {
    expect(warnings(res(64513, ["tor"]))).toEqual([
      "warning: localPref 200 has no effect: every peer this advertisement reaches (tor) is eBGP, and LOCAL_PREF is sent to iBGP peers only",
    ]);
  });

  it("is quiet when an iBGP peer is reached, or when the peers are unknown", () => {
    expect(warnings(res(64513))).toEqual([]);
    expect(warnings(res(64513, ["rr"]))).toEqual([]);
    expect(warnings({ ...res(64513, ["tor"]), bgpPeers: undefined })).toEqual([]);
  });
});

describe("CEL verdicts are kept per spec object", () => {
  it("an unchanged spec object is not evaluated again; a new one is", () => {
    const spec = { addresses: ["2001:db8::9-2001:db8::1"] };
    const res = (s: object): ConfigResources => ({ pools: [{ name: "p", spec: s as never }] });
    const first = parseConfig(res(spec), { namespace: NS }).problems;
    const again = parseConfig(res(spec), { namespace: NS }).problems;
    expect(again).toEqual(first);
    expect(again.find((p) => p.field.join(".") === "spec.addresses.0")).toBe(
      first.find((p) => p.field.join(".") === "spec.addresses.0"),
    );
    const fixed = parseConfig(res({ addresses: ["2001:db8::1-2001:db8::9"] }), { namespace: NS });
    expect(fixed.problems.filter((p) => p.severity === "error")).toEqual([]);
  });
});
