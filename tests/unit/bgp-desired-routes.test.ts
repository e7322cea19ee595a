import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BGPAdvertisementSpec } from "../../src/api/kinds/bgpadvertisement.js";
import type { BGPPeerSpec } from "../../src/api/kinds/bgppeer.js";
import type { CommunitySpec } from "../../src/api/kinds/community.js";
import { EXCLUDE_LABEL } from "../../src/api/service.js";
import { describeProblem, parseConfig, type Config, type Problem } from "../../src/model/index.js";
import {
  cidrLengthsOf,
  parseCidr,
  parsePoolEntry,
  prefixOf,
  parseIp,
} from "../../src/api/formats/ip.js";
import {
  desiredRoutes,
  type BgpService,
  type DesiredInput,
} from "../../src/runtime/speaker/desired-routes.js";
import type { NodeFacts } from "../../src/runtime/speaker/node-eligibility.js";

interface Named<S> {
  name: string;
  spec: S;
}

const peer = (name: string, spec: Partial<BGPPeerSpec> = {}): Named<BGPPeerSpec> => ({
  name,
  spec: { myASN: 64500, peerASN: 64501, peerAddress: "192.0.2.254", ...spec },
});
const adv = (name: string, spec: BGPAdvertisementSpec = {}): Named<BGPAdvertisementSpec> => ({
  name,
  spec,
});
const svc = (key: string, ips: string[], extra: Partial<BgpService> = {}): BgpService => ({
  key,
  ips,
  pool: "p",
  trafficPolicy: "Cluster",
  readyNodes: ["other"],
  ...extra,
});

/** The objects a test writes, as the API server would hold them. */
interface Objects {
  node: NodeFacts;
  services: BgpService[];
  pools: { name: string; labels: Record<string, string>; addresses: string[] }[];
  advertisements: Named<BGPAdvertisementSpec>[];
  peers: Named<BGPPeerSpec>[];
  communities: Named<CommunitySpec>[];
}

type Input = DesiredInput & { config: Config };

/** The input as the speaker builds it: the objects parsed by the model. */
function input(over: Partial<Objects> = {}): Input {
  const o: Objects = {
    node: { name: "n1", labels: { zone: "a" }, networkUnavailable: false },
    services: [svc("ns/a", ["203.0.113.5"])],
    pools: [{ name: "p", labels: {}, addresses: ["203.0.113.0/24", "2001:db8:5::/64"] }],
    advertisements: [adv("all")],
    peers: [peer("ebgp")],
    communities: [],
    ...over,
  };
  const config = parseConfig(
    {
      pools: o.pools.map((p) => ({
        name: p.name,
        labels: p.labels,
        spec: { addresses: p.addresses },
      })),
      bgpAdvertisements: o.advertisements,
      bgpPeers: o.peers,
      communities: o.communities,
    },
    { namespace: "metallb-system" },
  );
  return { node: o.node, services: o.services, config };
}

/** What the speaker reports: the model's problems and those only the routes reveal. */
const problemsOf = (i: Input): Problem[] => [...i.config.problems, ...desiredRoutes(i).problems];

const routesTo = (i: DesiredInput, p: string) => desiredRoutes(i).routes.get(p) ?? [];

describe("BGP desired routes (examples)", () => {
  it("announces each Service IP as a host route to every peer of the node", () => {
    expect(routesTo(input(), "ebgp")).toEqual([
      {
        prefix: "203.0.113.5/32",
        family: 4,
        communities: [],
        largeCommunities: [],
        services: ["ns/a"],
      },
    ]);
  });

  it("aggregates to aggregationLength(V6) and packs the Services behind one prefix", () => {
    const i = input({
      services: [svc("ns/a", ["203.0.113.5", "2001:db8:5::7"]), svc("ns/b", ["203.0.113.9"])],
      advertisements: [adv("agg", { aggregationLength: 28, aggregationLengthV6: 64 })],
    });
    expect(routesTo(i, "ebgp").map((r) => [r.prefix, r.services])).toEqual([
      ["2001:db8:5::/64", ["ns/a"]],
      ["203.0.113.0/28", ["ns/a", "ns/b"]],
    ]);
  });

  it("refuses aggregation beyond the pool with a problem naming both and the fix", () => {
    const problems = problemsOf(
      input({
        pools: [{ name: "p", labels: {}, addresses: ["203.0.113.0/26"] }],
        advertisements: [adv("wide", { aggregationLength: 24 })],
      }),
    );
    expect(problems.map((p) => [p.kind, p.name, p.field, describeProblem(p)])).toEqual([
      [
        "BGPAdvertisement",
        "wide",
        ["spec", "aggregationLength"],
        "aggregationLength 24 is shorter than /26 in pool p (203.0.113.0/26): the aggregate " +
          "would cover addresses outside the pool; use 26 or more",
      ],
    ]);
  });

  it("sends localPref to iBGP peers only", () => {
    const i = input({
      peers: [peer("ibgp", { peerASN: 64500 }), peer("ebgp")],
      advertisements: [adv("pref", { localPref: 150 })],
    });
    expect(routesTo(i, "ibgp")[0]?.localPref).toBe(150);
    expect(routesTo(i, "ebgp")[0]).not.toHaveProperty("localPref");
  });

  it("reports conflicting localPref and keeps the first advertisement's (by name)", () => {
    const i = input({
      peers: [peer("ibgp", { peerASN: 64500 })],
      advertisements: [adv("b", { localPref: 200 }), adv("a", { localPref: 100 })],
    });
    const d = desiredRoutes(i);
    expect(d.routes.get("ibgp")?.[0]?.localPref).toBe(100);
    const problems = problemsOf(i);
    expect(problems.map((p) => p.name)).toEqual(["b"]);
    expect(problems[0]?.message).toContain("localPref 200 for pool p conflicts with localPref 100");
  });

  it("reports a localPref conflict only routes reveal: two pools aggregated into one prefix", () => {
    const i = input({
      peers: [peer("ibgp", { peerASN: 64500 })],
      pools: [
        { name: "p", labels: {}, addresses: ["203.0.113.0/25"] },
        { name: "q", labels: {}, addresses: ["203.0.113.128/25"] },
      ],
      services: [svc("ns/a", ["203.0.113.5"]), svc("ns/b", ["203.0.113.200"], { pool: "q" })],
      advertisements: [
        adv("a", { ipAddressPools: ["p"], aggregationLength: 24, localPref: 100 }),
        adv("b", { ipAddressPools: ["q"], aggregationLength: 24, localPref: 200 }),
      ],
    });
    expect(i.config.problems.filter((p) => p.field.includes("localPref"))).toEqual([]);
    const d = desiredRoutes(i);
    expect(d.routes.get("ibgp")).toMatchObject([{ prefix: "203.0.113.0/24", localPref: 100 }]);
    expect(d.problems.map((p) => [p.name, p.message])).toEqual([
      [
        "b",
        "localPref 200 conflicts with 100 from BGPAdvertisement a for 203.0.113.0/24 to peer ibgp",
      ],
    ]);
  });

  it("resolves Community aliases, splits large communities, reports unknown aliases", () => {
    const i = input({
      communities: [
        {
          name: "c",
          spec: {
            communities: [
              { name: "no-export", value: "65535:65281" },
              { name: "big", value: "large:4200000000:1:2" },
            ],
          },
        },
      ],
      advertisements: [adv("x", { communities: ["no-export", "big", "64500:7", "nope"] })],
    });
    const d = desiredRoutes(i);
    expect(d.routes.get("ebgp")?.[0]).toMatchObject({
      communities: ["64500:7", "65535:65281"],
      largeCommunities: ["4200000000:1:2"],
    });
    expect(problemsOf(i)[0]?.message).toContain('community alias "nope"');
  });

  it("honours advertisement peers and nodeSelectors, and BGPPeer nodeSelectors", () => {
    const i = input({
      peers: [
        peer("p1"),
        peer("p2"),
        peer("elsewhere", { nodeSelectors: [{ matchLabels: { zone: "b" } }] }),
      ],
      advertisements: [
        adv("to-p1", { peers: ["p1"] }),
        adv("zone-b-only", { nodeSelectors: [{ matchLabels: { zone: "b" } }] }),
      ],
    });
    const d = desiredRoutes(i);
    expect([...d.routes.keys()]).toEqual(["p1", "p2"]);
    expect(d.routes.get("p1")).toHaveLength(1);
    expect(d.routes.get("p2")).toEqual([]);
  });

  it("Local policy needs a ready endpoint on this node; Cluster needs one anywhere", () => {
    const services = [
      svc("ns/local-here", ["203.0.113.1"], { trafficPolicy: "Local", readyNodes: ["n1"] }),
      svc("ns/local-away", ["203.0.113.2"], { trafficPolicy: "Local", readyNodes: ["n2"] }),
      svc("ns/no-endpoints", ["203.0.113.3"], { readyNodes: [] }),
      svc("ns/cluster", ["203.0.113.4"], { readyNodes: ["n2"] }),
    ];
    expect(routesTo(input({ services }), "ebgp").map((r) => r.services[0])).toEqual([
      "ns/local-here",
      "ns/cluster",
    ]);
  });

  it("an excluded or NetworkUnavailable node keeps its peers and announces nothing", () => {
    const nodes: NodeFacts[] = [
      { name: "n1", labels: { [EXCLUDE_LABEL]: "" }, networkUnavailable: false },
      { name: "n1", labels: {}, networkUnavailable: true },
    ];
    for (const node of nodes) {
      const d = desiredRoutes(input({ node }));
      expect([...d.routes]).toEqual([["ebgp", []]]);
    }
  });
});

describe("BGP desired routes (properties)", () => {
  const ipArb = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map((n) => `203.0.113.${n}`),
    fc.integer({ min: 0, max: 0xffff }).map((n) => `2001:db8:5::${n.toString(16)}`),
  );
  const inputArb = fc.record({
    services: fc
      .array(
        fc.record({
          key: fc.constant(""),
          ips: fc.array(ipArb, { minLength: 1, maxLength: 2 }),
          pool: fc.constant("p"),
          trafficPolicy: fc.constantFrom("Cluster" as const, "Local" as const),
          readyNodes: fc.subarray(["n1", "n2"]),
        }),
        { maxLength: 12 },
      )
      .map((list) => list.map((s, i) => ({ ...s, key: `ns/s${i}` }))),
    agg: fc.integer({ min: 24, max: 32 }),
    agg6: fc.integer({ min: 64, max: 128 }),
  });

  it("covers exactly the eligible Service IPs, whatever the order of the inputs", () => {
    fc.assert(
      fc.property(inputArb, ({ services, agg, agg6 }) => {
        const i = input({
          services,
          advertisements: [adv("a", { aggregationLength: agg, aggregationLengthV6: agg6 })],
        });
        const routes = routesTo(i, "ebgp");
        const reversed = routesTo({ ...i, services: [...services].reverse() }, "ebgp");
        expect(reversed).toEqual(routes);
        const eligible = services.filter(
          (s) =>
            s.readyNodes.length && (s.trafficPolicy === "Cluster" || s.readyNodes.includes("n1")),
        );
        const want = new Set(
          eligible.flatMap((s) =>
            s.ips.map((t) => {
              const ip = parseIp(t)!;
              return prefixOf(ip, ip.family === 4 ? agg : agg6);
            }),
          ),
        );
        expect(new Set(routes.map((r) => r.prefix))).toEqual(want);
        for (const r of routes) {
          const block = parseCidr(r.prefix)!;
          for (const key of r.services) {
            const s = eligible.find((e) => e.key === key)!;
            expect(
              s.ips.some((t) => {
                const ip = parseIp(t)!;
                return (
                  ip.family === block.family && ip.value >= block.first && ip.value <= block.last
                );
              }),
            ).toBe(true);
          }
        }
      }),
    );
  });

  it("cidrLengthsOf covers a range exactly with aligned blocks", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const r = parsePoolEntry(`192.0.2.${lo}-192.0.2.${hi}`);
        if (typeof r === "string") throw new Error(r);
        const sizes = cidrLengthsOf(r).map((len) => 2 ** (32 - len));
        expect(sizes.reduce((x, y) => x + y, 0)).toBe(hi - lo + 1);
      }),
    );
  });
});
