import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { L2AdvertisementSpec } from "../../src/api/kinds/l2advertisement.js";
import { matchesAny, type Labels } from "../../src/api/formats/label-selector.js";
import { EXCLUDE_LABEL } from "../../src/api/service.js";
import { parseConfig } from "../../src/model/index.js";
import {
  LOAD_FACTOR,
  electOwners,
  type ElectionInput,
  type L2Service,
} from "../../src/runtime/speaker/l2-election.js";
import type { NodeFacts } from "../../src/runtime/speaker/node-eligibility.js";

/** An L2Advertisement as written. */
interface RawAdv {
  name: string;
  spec: L2AdvertisementSpec;
}

/** Pools by name with their labels (the election reads pools only through advertisements). */
type PoolLabels = Record<string, Labels>;

/** The advertisements as the speaker hands them to the election: parsed by the model. */
function parsed(raw: readonly RawAdv[], pools: PoolLabels): ElectionInput["advertisements"] {
  const names = Object.keys(pools);
  return parseConfig(
    {
      pools: names.map((name, i) => ({
        name,
        labels: pools[name] ?? {},
        spec: { addresses: [`198.51.100.${i}/32`] },
      })),
      l2Advertisements: raw,
    },
    { namespace: "metallb-system" },
  ).l2Advertisements;
}

const NODE_NAMES = ["n0", "n1", "n2", "n3", "n4", "n5"];
const zone = fc.constantFrom("a", "b");

const nodeArb: fc.Arbitrary<NodeFacts[]> = fc
  .subarray(NODE_NAMES, { minLength: 1 })
  .chain((names) =>
    fc.tuple(
      ...names.map((name) =>
        fc.record({
          name: fc.constant(name),
          labels: fc.tuple(zone, fc.boolean()).map(([z, ex]): Record<string, string> => ({
            zone: z,
            ...(ex ? { [EXCLUDE_LABEL]: "" } : {}),
          })),
          networkUnavailable: fc.integer({ min: 0, max: 4 }).map((i) => i === 0),
        }),
      ),
    ),
  );

const serviceArb = (i: number): fc.Arbitrary<L2Service> =>
  fc.record({
    key: fc.constant(`ns/s${i}`),
    // few addresses, so that Services share some
    ips: fc.constantFrom(
      ["192.0.2.1"],
      ["192.0.2.2"],
      ["192.0.2.3", "2001:db8::3"],
      [`192.0.2.${10 + i}`],
    ),
    pool: fc.constantFrom("p1", "p2"),
    trafficPolicy: fc.constantFrom("Cluster" as const, "Local" as const),
    readyNodes: fc.subarray(NODE_NAMES),
  });

const advArb: fc.Arbitrary<RawAdv> = fc.record({
  name: fc.constantFrom("a", "b", "c"),
  spec: fc.record(
    {
      ipAddressPools: fc.subarray(["p1", "p2"]),
      ipAddressPoolSelectors: fc.constant([{ matchLabels: { tier: "gold" } }]),
      nodeSelectors: zone.map((z) => [{ matchLabels: { zone: z } }]),
      interfaces: fc.subarray(["eth0", "eth1"]),
    },
    { requiredKeys: [] },
  ),
});

const labelsArb = fc.constantFrom<Labels>({}, { tier: "gold" });

/** A generated case: the election's input, and the objects it was parsed from. */
interface Case extends ElectionInput {
  raw: RawAdv[];
  pools: PoolLabels;
}

const inputArb: fc.Arbitrary<Case> = fc
  .tuple(
    nodeArb,
    fc.integer({ min: 0, max: 25 }),
    fc.array(advArb, { maxLength: 3 }),
    fc.record({ p1: labelsArb, p2: labelsArb }),
  )
  .chain(([nodes, n, raw, pools]) =>
    fc.record({
      nodes: fc.constant(nodes),
      live: fc.subarray(nodes.map((x) => x.name)).map((l) => new Set(l)),
      services: fc.tuple(...Array.from({ length: n }, (_, i) => serviceArb(i))),
      advertisements: fc.constant(parsed(raw, pools)),
      raw: fc.constant(raw),
      pools: fc.constant<PoolLabels>(pools),
    }),
  );

/** An independent statement of who may announce svc, from the objects as written. */
function mayAnnounce(input: Case, svc: L2Service, node: NodeFacts): boolean {
  const poolLabels = input.pools[svc.pool] ?? {};
  const advs = input.raw.filter(
    (a) =>
      (!a.spec.ipAddressPools?.length && !a.spec.ipAddressPoolSelectors?.length) ||
      a.spec.ipAddressPools?.includes(svc.pool) ||
      (!!a.spec.ipAddressPoolSelectors?.length &&
        matchesAny(a.spec.ipAddressPoolSelectors, poolLabels)),
  );
  return (
    input.live.has(node.name) &&
    !(EXCLUDE_LABEL in node.labels) &&
    !node.networkUnavailable &&
    svc.readyNodes.length > 0 &&
    (svc.trafficPolicy === "Cluster" || svc.readyNodes.includes(node.name)) &&
    advs.some((a) => matchesAny(a.spec.nodeSelectors, node.labels))
  );
}

const shuffled = <T>(xs: readonly T[], seed: number): T[] =>
  xs
    .map((x, i) => ({ x, k: (i * 7919 + seed * 104729) % 1000003 }))
    .sort((a, b) => a.k - b.k)
    .map((e) => e.x);

describe("L2 owner election (properties)", () => {
  it("is a function of the inputs, not of their order", () => {
    fc.assert(
      fc.property(inputArb, fc.nat(), (input, seed) => {
        const again = electOwners({
          nodes: shuffled(input.nodes, seed),
          live: new Set(shuffled([...input.live], seed)),
          services: shuffled(input.services, seed),
          advertisements: shuffled(input.advertisements, seed),
        });
        expect(again).toEqual(electOwners(input));
      }),
    );
  });

  it("gives each IP one owner that every Service behind it may use; leaves out only IPs nobody may announce", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const { placements, unplaced } = electOwners(input);
        const nodes = new Map(input.nodes.map((n) => [n.name, n]));
        // The sharers that decide where an IP goes: those with a ready endpoint, if any has one.
        const sharers = (ip: string) => {
          const all = input.services.filter((s) => s.ips.includes(ip));
          const ready = all.filter((s) => s.readyNodes.length > 0);
          return ready.length ? ready : all;
        };
        for (const p of placements) {
          const owner = nodes.get(p.owner);
          expect(owner).toBeDefined();
          for (const svc of sharers(p.ip)) expect(mayAnnounce(input, svc, owner!)).toBe(true);
          expect(p.services).toEqual(
            sharers(p.ip)
              .map((s) => s.key)
              .sort(),
          );
        }
        for (const u of unplaced)
          for (const node of input.nodes)
            expect(sharers(u.ip).every((s) => mayAnnounce(input, s, node))).toBe(false);
        const ips = new Set(input.services.flatMap((s) => s.ips));
        expect(placements.length + unplaced.length).toBe(ips.size);
      }),
    );
  });

  it("bounds the load at ceil(1.25 × average) when every node is eligible", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 200 }), (n, s) => {
        const input = uniform(n, s);
        const loads = new Map<string, number>();
        for (const p of electOwners(input).placements)
          loads.set(p.owner, (loads.get(p.owner) ?? 0) + p.services.length);
        expect(Math.max(...loads.values())).toBeLessThanOrEqual(Math.ceil((LOAD_FACTOR * s) / n));
      }),
    );
  });

  it("a node leaving takes its IPs elsewhere; a node that is eligible for nothing changes nothing", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 60 }), (n, s) => {
        const input = uniform(n, s);
        const before = electOwners(input);
        const gone = `n${n - 1}`;
        const after = electOwners({
          ...input,
          live: new Set([...input.live].filter((x) => x !== gone)),
        });
        expect(after.placements.map((p) => p.ip)).toEqual(before.placements.map((p) => p.ip));
        expect(after.placements.some((p) => p.owner === gone)).toBe(false);
        const bystander = electOwners({
          ...input,
          nodes: [
            ...input.nodes,
            { name: "idle", labels: { role: "idle" }, networkUnavailable: false },
          ],
          live: new Set([...input.live, "idle"]),
          advertisements: parsed(
            [
              {
                name: "all",
                spec: {
                  nodeSelectors: [
                    { matchExpressions: [{ key: "role", operator: "DoesNotExist" }] },
                  ],
                },
              },
            ],
            { p: {} },
          ),
        });
        expect(bystander).toEqual(before);
      }),
    );
  });
});

function uniform(nodes: number, services: number): ElectionInput {
  const names = Array.from({ length: nodes }, (_, i) => `n${i}`);
  return {
    nodes: names.map((name) => ({ name, labels: {}, networkUnavailable: false })),
    live: new Set(names),
    services: Array.from({ length: services }, (_, i) => ({
      key: `ns/s${i}`,
      ips: [`2001:db8::${i.toString(16)}`],
      pool: "p",
      trafficPolicy: "Cluster",
      readyNodes: ["n0"],
    })),
    advertisements: parsed([{ name: "all", spec: {} }], { p: {} }),
  };
}

describe("L2 owner election (examples)", () => {
  it("30 Services over 3 nodes: none holds more than 13", () => {
    const loads = new Map<string, number>();
    for (const p of electOwners(uniform(3, 30)).placements)
      loads.set(p.owner, (loads.get(p.owner) ?? 0) + 1);
    expect([...loads.values()].reduce((a, b) => a + b)).toBe(30);
    expect(Math.max(...loads.values())).toBeLessThanOrEqual(13);
  });

  it("explains why an IP has no owner", () => {
    const base = uniform(2, 1);
    const reason = (input: ElectionInput) => electOwners(input).unplaced[0]?.reason;
    expect(reason({ ...base, advertisements: [] })).toBe("no L2Advertisement selects its pool");
    expect(
      reason({ ...base, services: base.services.map((s) => ({ ...s, readyNodes: [] })) }),
    ).toBe("the Service has no ready endpoint");
    expect(reason({ ...base, live: new Set() })).toContain("no live, selected node");
  });

  it("a shared IP is placed once, with every Service behind it, on the interfaces both allow", () => {
    const input = uniform(2, 2);
    const shared = input.services.map((s) => ({ ...s, ips: ["192.0.2.9"] }));
    const { placements } = electOwners({
      ...input,
      services: shared,
      advertisements: parsed(
        [
          { name: "x", spec: { interfaces: ["eth0", "eth1"] } },
          { name: "y", spec: { ipAddressPools: ["other"] } },
        ],
        { p: {}, other: {} },
      ),
    });
    expect(placements).toEqual([
      {
        ip: "192.0.2.9",
        owner: placements[0]?.owner,
        services: ["ns/s0", "ns/s1"],
        interfaces: ["eth0", "eth1"],
      },
    ]);
  });

  it("a sharer without a ready endpoint does not take a shared IP away from the others", () => {
    const input = uniform(2, 2);
    const shared = input.services.map((s, i) => ({
      ...s,
      ips: ["192.0.2.9"],
      readyNodes: i === 0 ? ["n0"] : [],
    }));
    const { placements, unplaced } = electOwners({ ...input, services: shared });
    expect(unplaced).toEqual([]);
    expect(placements).toMatchObject([{ ip: "192.0.2.9", services: ["ns/s0"] }]);
    const none = electOwners({
      ...input,
      services: shared.map((s) => ({ ...s, readyNodes: [] })),
    });
    expect(none.unplaced).toMatchObject([
      { ip: "192.0.2.9", reason: "the Service has no ready endpoint" },
    ]);
  });
});
