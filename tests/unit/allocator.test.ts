// Named allocator behaviours: the choices users see, each with its reason on failure.
import { describe, expect, it } from "vitest";
import {
  Allocator,
  type ServiceRequest,
} from "../../src/runtime/controller/allocator/allocator.js";
import type { Pool } from "../../src/model/pool.js";
import { formatIp, parseIp, type Ip } from "../../src/api/formats/ip.js";
import { pool } from "./pools.js";

const svc = (name: string, extra: Partial<ServiceRequest> = {}): ServiceRequest => ({
  key: `ns/${name}`,
  namespace: "ns",
  labels: {},
  namespaceLabels: {},
  families: [4],
  familyPolicy: "SingleStack",
  requestedIps: [],
  ports: [{ protocol: "TCP", port: 80 }],
  trafficPolicy: "Cluster",
  selectorKey: "app=x",
  ...extra,
});
const ip = (t: string) => parseIp(t) as Ip;
const ips = (a: Allocator, r: ServiceRequest) => {
  const res = a.assign(r);
  return res.ok ? res.assignment.ips.map(formatIp) : res.reason;
};
const allocator = (...pools: Pool[]) => {
  const a = new Allocator();
  a.setPools(pools);
  return a;
};

describe("allocator", () => {
  it("hands out the lowest free address, and reuses a released one", () => {
    const a = allocator(pool("p", { addresses: ["192.0.2.10-192.0.2.12"] }));
    expect(ips(a, svc("a"))).toEqual(["192.0.2.10"]);
    expect(ips(a, svc("b"))).toEqual(["192.0.2.11"]);
    a.release("ns/a");
    expect(ips(a, svc("c"))).toEqual(["192.0.2.10"]);
    expect(ips(a, svc("d"))).toEqual(["192.0.2.12"]);
    expect(ips(a, svc("e"))).toBe("Exhausted");
  });

  it("works on a /8 and a /64 without walking them", () => {
    const a = allocator(
      pool("v4", { addresses: ["10.0.0.0/8"] }),
      pool("v6", { addresses: ["2001:db8::/64"] }),
    );
    for (let i = 0; i < 2000; i++) a.assign(svc(`s${i}`));
    expect(ips(a, svc("last"))).toEqual(["10.0.7.208"]);
    expect(ips(a, svc("six", { families: [6] }))).toEqual(["2001:db8::"]);
    expect(a.usage("v6")).toEqual({
      assignedIPv4: 0,
      assignedIPv6: 1,
      availableIPv4: 0n,
      availableIPv6: (1n << 64n) - 1n,
    });
  });

  it("avoidBuggyIPs skips .0 and .255 and counts them out of availability", () => {
    const a = allocator(
      pool("p", { addresses: ["192.0.2.255-198.51.100.0", "192.0.2.0/24"], avoidBuggyIPs: true }),
    );
    // Entries in the order written: the first entry's first usable address, not the lowest.
    expect(ips(a, svc("a"))).toEqual(["192.0.3.1"]);
    const small = allocator(
      pool("q", { addresses: ["192.0.2.254-192.0.3.1"], avoidBuggyIPs: true }),
    );
    expect(ips(small, svc("a"))).toEqual(["192.0.2.254"]);
    expect(ips(small, svc("b"))).toEqual(["192.0.3.1"]);
    expect(small.usage("q")?.availableIPv4).toBe(0n);
  });

  it("requested addresses: honoured, or refused with the reason", () => {
    const a = allocator(
      pool("p", { addresses: ["192.0.2.0/28"] }),
      pool("manual", { addresses: ["203.0.113.0/30"], autoAssign: false }),
    );
    expect(ips(a, svc("a", { requestedIps: [ip("192.0.2.7")] }))).toEqual(["192.0.2.7"]);
    expect(ips(a, svc("b", { requestedIps: [ip("203.0.113.2")] }))).toEqual(["203.0.113.2"]);
    expect(ips(a, svc("c", { requestedIps: [ip("198.51.100.1")] }))).toBe("NotInPool");
    expect(ips(a, svc("d", { requestedIps: [ip("192.0.2.7")] }))).toBe("Conflict");
    expect(ips(a, svc("e", { requestedIps: [ip("2001:db8::1")] }))).toBe("FamilyMismatch");
  });

  it("autoAssign off: only for Services that name the pool", () => {
    const a = allocator(pool("manual", { addresses: ["203.0.113.0/30"], autoAssign: false }));
    expect(ips(a, svc("a"))).toBe("NoPool");
    expect(ips(a, svc("b", { pool: "manual" }))).toEqual(["203.0.113.0"]);
    expect(ips(a, svc("c", { pool: "missing" }))).toBe("PoolNotFound");
  });

  it("serviceAllocation: pinned pools first by priority, others only when admitted", () => {
    const a = allocator(
      pool("general", { addresses: ["192.0.2.0/30"] }),
      pool("team-low", {
        addresses: ["198.51.100.0/30"],
        serviceAllocation: { priority: 20, namespaces: ["team"] },
      }),
      pool("team-high", {
        addresses: ["203.0.113.0/30"],
        serviceAllocation: {
          priority: 10,
          namespaceSelectors: [{ matchLabels: { tier: "gold" } }],
        },
      }),
    );
    const team = (n: string, labels = {}) =>
      svc(n, { key: `team/${n}`, namespace: "team", namespaceLabels: labels });
    expect(ips(a, team("a", { tier: "gold" }))).toEqual(["203.0.113.0"]);
    expect(ips(a, team("b"))).toEqual(["198.51.100.0"]);
    expect(ips(a, svc("c"))).toEqual(["192.0.2.0"]);
    expect(ips(a, svc("d", { pool: "team-low" }))).toBe("PoolDoesNotServe");
  });

  it("serviceAllocation: a listed namespace or a matching namespace selector admits (upstream's union)", () => {
    const a = allocator(
      pool("p", {
        addresses: ["192.0.2.0/29"],
        serviceAllocation: {
          namespaces: ["listed"],
          namespaceSelectors: [{ matchLabels: { tier: "gold" } }],
        },
      }),
    );
    const in_ = (ns: string, labels = {}) =>
      svc(ns, { key: `${ns}/s`, namespace: ns, namespaceLabels: labels });
    expect(ips(a, in_("listed"))).toEqual(["192.0.2.0"]);
    expect(ips(a, in_("gold", { tier: "gold" }))).toEqual(["192.0.2.1"]);
    expect(ips(a, in_("other", { tier: "silver" }))).toBe("NoPool");
    const withServices = allocator(
      pool("p", {
        addresses: ["192.0.2.0/29"],
        serviceAllocation: {
          namespaces: ["listed"],
          serviceSelectors: [{ matchLabels: { expose: "yes" } }],
        },
      }),
    );
    // serviceSelectors still narrow what the namespaces admit.
    expect(ips(withServices, in_("listed"))).toBe("NoPool");
    expect(ips(withServices, { ...in_("listed"), labels: { expose: "yes" } })).toEqual([
      "192.0.2.0",
    ]);
  });

  it("walks spec.addresses as written: entry by entry, lowest free within an entry", () => {
    const a = allocator(
      pool("p", {
        addresses: ["192.0.2.8/31", "192.0.2.0/31", "2001:db8::10/127", "2001:db8::/127"],
      }),
    );
    expect(["a", "b", "c"].map((n) => ips(a, svc(n)))).toEqual([
      ["192.0.2.8"],
      ["192.0.2.9"],
      ["192.0.2.0"],
    ]);
    a.release("ns/a");
    expect(ips(a, svc("d"))).toEqual(["192.0.2.8"]);
    expect(ips(a, svc("six", { families: [6] }))).toEqual(["2001:db8::10"]);
  });

  it("sharing compares upstream's backend key: the selector for Local, nothing for Cluster", () => {
    const a = allocator(pool("p", { addresses: ["192.0.2.0/29"] }));
    const web = (n: string, port: number, extra: Partial<ServiceRequest> = {}) =>
      svc(n, { sharingKey: "web", ports: [{ protocol: "TCP", port }], ...extra });
    expect(ips(a, web("c1", 80, { selectorKey: "app=a" }))).toEqual(["192.0.2.0"]);
    // Two Cluster Services with different selectors share.
    expect(ips(a, web("c2", 81, { selectorKey: "app=b" }))).toEqual(["192.0.2.0"]);
    // A Local Service that selects no pods has the Cluster key.
    expect(ips(a, web("l0", 82, { trafficPolicy: "Local", selectorKey: "" }))).toEqual([
      "192.0.2.0",
    ]);
    // A Local Service selecting pods does not join them …
    expect(ips(a, web("l1", 83, { trafficPolicy: "Local", selectorKey: "app=a" }))).toEqual([
      "192.0.2.1",
    ]);
    // … but another Local one with the same selector joins it.
    expect(ips(a, web("l2", 84, { trafficPolicy: "Local", selectorKey: "app=a" }))).toEqual([
      "192.0.2.1",
    ]);
    const r = a.assign(
      web("l3", 85, {
        trafficPolicy: "Local",
        selectorKey: "app=z",
        requestedIps: [ip("192.0.2.1")],
      }),
    );
    expect(r.ok ? "assigned" : r.message).toContain("select the same pods");
  });

  it("PreferDualStack: a pool with both families first, then the primary family, then the other", () => {
    const prefer = (n: string, families: (4 | 6)[]) =>
      svc(n, { families, familyPolicy: "PreferDualStack" });
    const a = allocator(
      pool("a-v4", { addresses: ["192.0.2.0/30"], serviceAllocation: { priority: 1 } }),
      pool("b-both", {
        addresses: ["198.51.100.0/30", "2001:db8::/126"],
        serviceAllocation: { priority: 2 },
      }),
    );
    // The dual pool wins over the higher-priority single-family one.
    expect(ips(a, prefer("x", [4, 6]))).toEqual(["198.51.100.0", "2001:db8::"]);
    const singles = allocator(
      pool("a-v6", { addresses: ["2001:db8::/126"], serviceAllocation: { priority: 1 } }),
      pool("b-v4", { addresses: ["192.0.2.0/30"], serviceAllocation: { priority: 2 } }),
    );
    // No dual pool: the primary family (spec.ipFamilies[0]) decides, not the priority.
    expect(ips(singles, prefer("v4first", [4, 6]))).toEqual(["192.0.2.0"]);
    expect(ips(singles, prefer("v6first", [6, 4]))).toEqual(["2001:db8::"]);
  });

  it("PreferDualStack holding one family gets the other once its pool has it", () => {
    const a = allocator(pool("p", { addresses: ["192.0.2.0/30"] }));
    const s = svc("x", { families: [4, 6], familyPolicy: "PreferDualStack" });
    expect(ips(a, s)).toEqual(["192.0.2.0"]);
    a.setPools([pool("p", { addresses: ["192.0.2.0/30", "2001:db8::/126"] })]);
    expect(ips(a, s)).toEqual(["192.0.2.0", "2001:db8::"]);
  });

  it("a requested address must cover the Service's families; avoidBuggyIPs refuses .0 and .255", () => {
    const a = allocator(
      pool("p", { addresses: ["192.0.2.0/24", "2001:db8::/120"], avoidBuggyIPs: true }),
    );
    const dual = { families: [4, 6] as (4 | 6)[], familyPolicy: "PreferDualStack" as const };
    expect(ips(a, svc("one", { ...dual, requestedIps: [ip("192.0.2.7")] }))).toBe("FamilyMismatch");
    expect(
      ips(a, svc("both", { ...dual, requestedIps: [ip("2001:db8::7"), ip("192.0.2.7")] })),
    ).toEqual(["192.0.2.7", "2001:db8::7"]);
    expect(ips(a, svc("zero", { requestedIps: [ip("192.0.2.0")] }))).toBe("NotInPool");
    expect(ips(a, svc("top", { requestedIps: [ip("192.0.2.255")] }))).toBe("NotInPool");
  });

  it("autoAssign only steers new choices: a held address stays when the request is dropped", () => {
    const a = allocator(
      pool("auto", { addresses: ["192.0.2.0/30"] }),
      pool("manual", { addresses: ["203.0.113.0/30"], autoAssign: false }),
    );
    expect(ips(a, svc("x", { pool: "manual" }))).toEqual(["203.0.113.0"]);
    expect(ips(a, svc("x"))).toEqual(["203.0.113.0"]);
    // Naming another pool is a changed request: moved without a ClearAssignment (upstream).
    const s = svc("x", { pool: "auto" });
    expect(a.refusal(s, [ip("203.0.113.0")])).toMatchObject({ changedRequest: true });
    expect(ips(a, s)).toEqual(["192.0.2.0"]);
    a.setPools([pool("auto", { addresses: ["192.0.2.4/30"] })]);
    // The pool lost the address: a refusal that is not the Service's doing.
    expect(a.refusal(svc("x"), [ip("192.0.2.0")])).toMatchObject({ reason: "NotInPool" });
    expect(a.refusal(svc("x"), [ip("192.0.2.0")])?.changedRequest).toBeUndefined();
  });

  it("sharing: a shareable address counts as free, walking the pool lowest first", () => {
    const a = allocator(pool("p", { addresses: ["192.0.2.0/29"] }));
    const k = (n: string, port: number, extra: Partial<ServiceRequest> = {}) =>
      svc(n, { sharingKey: "k", ports: [{ protocol: "TCP", port }], ...extra });
    expect(ips(a, k("high", 80, { requestedIps: [ip("192.0.2.5")] }))).toEqual(["192.0.2.5"]);
    // .0 is free and comes first: upstream takes it rather than jumping to the shared .5.
    expect(ips(a, k("next", 81))).toEqual(["192.0.2.0"]);
    // Now .0 is shareable and lowest: the third sharer joins it.
    expect(ips(a, k("third", 82))).toEqual(["192.0.2.0"]);
  });

  it("sharing: same key and disjoint ports share; a port clash gets its own address", () => {
    const a = allocator(pool("p", { addresses: ["192.0.2.0/29"] }));
    const dns = (n: string, ports: ServiceRequest["ports"], extra: Partial<ServiceRequest> = {}) =>
      svc(n, { sharingKey: "dns", ports, ...extra });
    expect(ips(a, dns("tcp", [{ protocol: "TCP", port: 53 }]))).toEqual(["192.0.2.0"]);
    expect(ips(a, dns("udp", [{ protocol: "UDP", port: 53 }]))).toEqual(["192.0.2.0"]);
    expect(ips(a, dns("clash", [{ protocol: "UDP", port: 53 }]))).toEqual(["192.0.2.1"]);
    expect(
      ips(a, dns("local", [{ protocol: "TCP", port: 853 }], { trafficPolicy: "Local" })),
    ).toEqual(["192.0.2.2"]);
    expect(
      ips(
        a,
        svc("nokey", { requestedIps: [ip("192.0.2.0")], ports: [{ protocol: "TCP", port: 9 }] }),
      ),
    ).toBe("Conflict");
  });

  it("dual-stack: Require needs both families in one pool, Prefer takes what the pool has", () => {
    const a = allocator(
      pool("v4", { addresses: ["192.0.2.0/30"] }),
      pool("both", { addresses: ["198.51.100.0/30", "2001:db8::/126"] }),
    );
    // IPv4 first whatever spec.ipFamilies says, as upstream lists them.
    expect(ips(a, svc("req", { families: [6, 4], familyPolicy: "RequireDualStack" }))).toEqual([
      "198.51.100.0",
      "2001:db8::",
    ]);
    expect(ips(a, svc("pref", { families: [4, 6], familyPolicy: "PreferDualStack" }))).toEqual([
      "198.51.100.1",
      "2001:db8::1",
    ]);
    const onlyV4 = allocator(pool("v4", { addresses: ["192.0.2.0/30"] }));
    expect(ips(onlyV4, svc("pref", { families: [4, 6], familyPolicy: "PreferDualStack" }))).toEqual(
      ["192.0.2.0"],
    );
    expect(ips(onlyV4, svc("req", { families: [4, 6], familyPolicy: "RequireDualStack" }))).toBe(
      "Exhausted",
    );
  });

  it("keeps a Service's address across unrelated changes and gives it up when it leaves the pool", () => {
    const a = allocator(pool("p", { addresses: ["192.0.2.0/29"] }));
    expect(ips(a, svc("a"))).toEqual(["192.0.2.0"]);
    expect(ips(a, svc("b"))).toEqual(["192.0.2.1"]);
    expect(a.setPools([pool("p", { addresses: ["192.0.2.1-192.0.2.7"] })])).toEqual(["ns/a"]);
    expect(a.assignment("ns/b")?.ips.map(formatIp)).toEqual(["192.0.2.1"]);
    expect(ips(a, svc("a"))).toEqual(["192.0.2.2"]);
    expect(ips(a, svc("b", { ports: [{ protocol: "TCP", port: 8080 }] }))).toEqual(["192.0.2.1"]);
  });
});
