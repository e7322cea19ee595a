// Allocator invariants over random sequences of pool edits, Service changes and restarts:
//  - no two incompatible Services ever share an address;
//  - every assigned address lies in a pool that serves its Service;
//  - rebuilding from the Service statuses gives exactly the same assignments;
//  - a restart moves no address;
//  - the same sequence always gives the same result.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Allocator,
  sharingConflict,
  type ServiceRequest,
} from "../../src/runtime/controller/allocator/allocator.js";
import { poolContains, poolServes, type Pool } from "../../src/model/pool.js";
import { formatIp, parseIp, type Family, type Ip } from "../../src/api/formats/ip.js";
import { pool } from "./pools.js";

// A small universe so that collisions, exhaustion and sharing happen often.
const UNIVERSE: Pool[] = [
  pool("a", { addresses: ["192.0.2.0/30"] }),
  pool("b", { addresses: ["192.0.2.4-192.0.2.5", "2001:db8::-2001:db8::1"] }),
  pool("c", { addresses: ["203.0.113.0/31"], autoAssign: false }),
  pool("d", {
    addresses: ["2001:db8:1::/127", "198.51.100.8/31"],
    serviceAllocation: { priority: 1, namespaces: ["team"] },
  }),
  pool("e", { addresses: ["198.51.100.254-198.51.100.255", "192.0.2.2/32"], avoidBuggyIPs: true }),
  pool("f", {
    addresses: ["192.0.2.6/31"],
    serviceAllocation: { serviceSelectors: [{ matchLabels: { tier: "gold" } }] },
  }),
];
const REQUESTABLE = [
  "192.0.2.1",
  "192.0.2.4",
  "203.0.113.1",
  "2001:db8::1",
  "198.51.100.9",
  "192.0.2.200",
];

const ip = (t: string): Ip => parseIp(t) as Ip;
const labelsOf = (gold: boolean): Record<string, string> => (gold ? { tier: "gold" } : {});

const serviceArb: fc.Arbitrary<ServiceRequest> = fc
  .record({
    ns: fc.constantFrom("ns1", "team"),
    name: fc.constantFrom("s0", "s1", "s2", "s3", "s4", "s5"),
    stack: fc.constantFrom<[Family[], ServiceRequest["familyPolicy"]]>(
      [[4], "SingleStack"],
      [[6], "SingleStack"],
      [[4, 6], "PreferDualStack"],
      [[6, 4], "PreferDualStack"],
      [[4, 6], "RequireDualStack"],
    ),
    requested: fc.oneof(
      { weight: 4, arbitrary: fc.constant([] as string[]) },
      { weight: 1, arbitrary: fc.subarray(REQUESTABLE, { minLength: 1, maxLength: 1 }) },
    ),
    pool: fc.option(fc.constantFrom("a", "b", "c", "zz"), { nil: undefined, freq: 4 }),
    sharingKey: fc.option(fc.constantFrom("k1", "k2"), { nil: undefined }),
    ports: fc.subarray(
      [
        { protocol: "TCP", port: 80 },
        { protocol: "TCP", port: 443 },
        { protocol: "UDP", port: 53 },
      ],
      { minLength: 1 },
    ),
    trafficPolicy: fc.constantFrom<"Cluster" | "Local">("Cluster", "Local"),
    selectorKey: fc.constantFrom("app=a", "app=b"),
    gold: fc.boolean(),
  })
  .map((s) => ({
    key: `${s.ns}/${s.name}`,
    namespace: s.ns,
    labels: labelsOf(s.gold),
    namespaceLabels: {},
    families: s.stack[0],
    familyPolicy: s.stack[1],
    requestedIps: s.requested.map(ip),
    ...(s.pool ? { pool: s.pool } : {}),
    ...(s.sharingKey ? { sharingKey: s.sharingKey } : {}),
    ports: s.ports,
    trafficPolicy: s.trafficPolicy,
    selectorKey: s.selectorKey,
  }));

type Op =
  | { op: "upsert"; svc: ServiceRequest }
  | { op: "delete"; key: string }
  | { op: "pools"; pools: Pool[] }
  | { op: "restart" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: serviceArb.map((svc) => ({ op: "upsert" as const, svc })) },
  { weight: 2, arbitrary: serviceArb.map((svc) => ({ op: "delete" as const, key: svc.key })) },
  { weight: 2, arbitrary: fc.subarray(UNIVERSE).map((pools) => ({ op: "pools" as const, pools })) },
  { weight: 1, arbitrary: fc.constant({ op: "restart" as const }) },
);

/** A model of the reconciler around the allocator: Services, their status, retries. */
class Cluster {
  alloc = new Allocator();
  pools: Pool[] = UNIVERSE;
  services = new Map<string, ServiceRequest>();
  status = new Map<string, Ip[]>();

  constructor() {
    this.alloc.setPools(this.pools);
  }

  private assign(key: string): void {
    const svc = this.services.get(key);
    if (!svc) return;
    const r = this.alloc.assign(svc);
    this.status.set(key, r.ok ? r.assignment.ips : []);
  }

  private retryPending(): void {
    for (const key of [...this.services.keys()].sort())
      if (!this.status.get(key)?.length) this.assign(key);
  }

  apply(op: Op): void {
    if (op.op === "upsert") {
      this.services.set(op.svc.key, op.svc);
      this.assign(op.svc.key);
    } else if (op.op === "delete") {
      this.services.delete(op.key);
      this.status.delete(op.key);
      this.alloc.release(op.key);
    } else if (op.op === "pools") {
      this.pools = op.pools;
      for (const key of this.alloc.setPools(op.pools)) this.status.set(key, []);
      for (const key of [...this.services.keys()].sort())
        if (this.status.get(key)?.length) this.assign(key);
    } else {
      const before = new Map(this.status);
      this.alloc = rebuild(this.pools, this.services, this.status);
      for (const [key, ips] of before)
        if (ips.length) this.status.set(key, this.alloc.assignment(key)?.ips ?? []);
    }
    this.retryPending();
  }
}

/** What the controller does at start: load every existing assignment before making new ones. */
function rebuild(
  pools: Pool[],
  services: Map<string, ServiceRequest>,
  status: Map<string, Ip[]>,
): Allocator {
  const alloc = new Allocator();
  alloc.setPools(pools);
  for (const key of [...services.keys()].sort()) {
    const ips = status.get(key) ?? [];
    const svc = services.get(key);
    if (svc && ips.length) alloc.claim(svc, ips);
  }
  return alloc;
}

const text = (m: Map<string, Ip[]>): Record<string, string> =>
  Object.fromEntries(
    [...m].map(([k, v]): [string, string] => [k, v.map(formatIp).join(",")]).sort(),
  );

function checkInvariants(c: Cluster): void {
  const keys = [...c.services.keys()];
  for (const key of keys) {
    const svc = c.services.get(key) as ServiceRequest;
    const ips = c.status.get(key) ?? [];
    const a = c.alloc.assignment(key);
    expect(a?.ips ?? [], `${key}: status and allocator agree`).toEqual(ips);
    if (!ips.length || !a) continue;
    const p = c.pools.find((x) => x.name === a.pool) as Pool;
    expect(p, `${key}: its pool exists`).toBeDefined();
    for (const addr of ips)
      expect(poolContains(p, addr), `${key}: ${formatIp(addr)} in pool ${p.name}`).toBe(true);
    expect(poolServes(p, svc), `${key}: pool ${p.name} serves it`).toBe(true);
    if (svc.pool) expect(a.pool).toBe(svc.pool);
    // autoAssign is not checked: a Service keeps an address of an autoAssign: false pool it got
    // through a request or the pool annotation after either is removed (upstream keeps it too).
    expect(new Set(ips.map((x) => x.family)).size).toBe(ips.length);
    for (const other of keys) {
      if (other <= key) continue;
      const shared = (c.status.get(other) ?? []).filter((x) =>
        ips.some((y) => y.family === x.family && y.value === x.value),
      );
      if (shared.length)
        expect(
          sharingConflict(svc, c.services.get(other) as ServiceRequest),
          `${key} and ${other} share ${shared.map(formatIp).join(",")}`,
        ).toBeUndefined();
    }
  }
  const rebuilt = rebuild(c.pools, c.services, c.status);
  const fromStatus = new Map([...c.status].filter(([, v]) => v.length));
  expect(text(new Map([...rebuilt.assignments()].map(([k, v]) => [k, v.ips])))).toEqual(
    text(fromStatus),
  );
}

describe("allocator properties", () => {
  it("hold over random pool edits, Service changes and restarts", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const c = new Cluster();
        for (const op of ops) {
          const before = op.op === "restart" ? text(c.status) : undefined;
          c.apply(op);
          if (before) expect(text(c.status), "a restart moves nothing").toEqual(before);
          checkInvariants(c);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("are deterministic: the same sequence gives the same addresses", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => {
        const [x, y] = [new Cluster(), new Cluster()];
        for (const op of ops) {
          x.apply(op);
          y.apply(op);
        }
        expect(text(x.status)).toEqual(text(y.status));
      }),
      { numRuns: 100 },
    );
  });

  it("a pool edit moves only the addresses that left the pool", () => {
    fc.assert(
      fc.property(
        fc.array(serviceArb, { minLength: 1, maxLength: 12 }),
        fc.subarray(UNIVERSE),
        (svcs, next) => {
          const c = new Cluster();
          for (const svc of svcs) c.apply({ op: "upsert", svc });
          const before = new Map(c.status);
          c.apply({ op: "pools", pools: next });
          for (const [key, ips] of before) {
            const svc = c.services.get(key) as ServiceRequest;
            const stillValid =
              ips.length > 0 &&
              next.some(
                (p) =>
                  poolServes(p, svc) &&
                  ips.every((x) => poolContains(p, x)) &&
                  (!svc.pool || svc.pool === p.name),
              );
            if (!stillValid) continue;
            // Kept; a PreferDualStack Service holding one family may gain the other (upstream).
            const now = c.status.get(key) ?? [];
            const kept = now.filter((x) => ips.some((y) => y.family === x.family));
            expect(kept, `${key} kept its addresses`).toEqual(ips);
            if (svc.familyPolicy !== "PreferDualStack")
              expect(now, `${key} gained nothing`).toEqual(ips);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
