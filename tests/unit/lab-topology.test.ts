// The lab's pure core: documentation ranges and the plan that builds a topology.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDocumentationAddress } from "../../src/lab/net/doc-ranges.js";
import { buildPlan, checkTopology, labNames, type Topology } from "../../src/lab/net/topology.js";

const v4 = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

describe("documentation ranges", () => {
  it("accept every address of 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("192.0.2", "198.51.100", "203.0.113"),
        fc.integer({ min: 0, max: 255 }),
        (net, host) => isDocumentationAddress(`${net}.${host}`),
      ),
    );
  });

  it("refuse IPv4 addresses outside them", () => {
    const doc = [0xc0000200, 0xc6336400, 0xcb007100];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        fc.pre(!doc.includes(n & 0xffffff00));
        return !isDocumentationAddress(v4(n));
      }),
    );
  });

  it("accept 2001:db8::/32 and refuse its neighbours", () => {
    expect(isDocumentationAddress("2001:db8::1")).toBe(true);
    expect(isDocumentationAddress("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")).toBe(true);
    expect(isDocumentationAddress("2001:db9::1")).toBe(false);
    expect(isDocumentationAddress("2001:db7:ffff::1")).toBe(false);
    expect(isDocumentationAddress("::1")).toBe(false);
  });
});

const good: Topology = {
  segments: ["lan", "wan"],
  hosts: [
    {
      name: "node1",
      links: [{ segment: "lan", addresses: ["192.0.2.11/24", "2001:db8:1::11/64"] }],
    },
    {
      name: "router",
      links: [
        { segment: "lan", addresses: ["192.0.2.1/24"] },
        { segment: "wan", addresses: ["198.51.100.1/24"] },
      ],
    },
  ],
};

describe("topology", () => {
  it("accepts a valid topology", () => expect(checkTopology(good)).toEqual([]));

  it("refuses addresses outside the documentation ranges, naming host, link and address", () => {
    const bad = {
      ...good,
      hosts: [{ name: "h", links: [{ segment: "lan", addresses: ["10.0.0.1/24"] }] }],
    };
    expect(checkTopology(bad)).toEqual([
      expect.stringContaining('host "h" link 0: address "10.0.0.1/24"'),
    ]);
  });

  it("refuses unknown segments, duplicate hosts and names that do not fit interface names", () => {
    const bad: Topology = {
      segments: ["lan"],
      hosts: [
        { name: "a", links: [{ segment: "nope", addresses: [] }] },
        { name: "a", links: [] },
        { name: "waytoolonghostname", links: [] },
      ],
    };
    const errors = checkTopology(bad).join("\n");
    expect(errors).toContain('unknown segment "nope"');
    expect(errors).toContain('host "a" is declared twice');
    expect(errors).toContain('host "waytoolonghostname"');
  });

  it("plans only inside the lab's own namespaces", () => {
    const names = labNames("123x0");
    const plan = buildPlan(good, names);
    const touched = new Set(
      plan.map((c) => (c[1] === "-n" ? c[2] : c[1] === "netns" ? c[3] : "?")),
    );
    expect([...touched].sort()).toEqual([
      "mlbts-123x0-node1",
      "mlbts-123x0-router",
      "mlbts-123x0-sw",
    ]);
    // every interface name fits Linux's 15 characters
    for (const c of plan)
      for (const w of c)
        if (/^(br-|eth|node1-|router-)/.test(w)) expect(w.length).toBeLessThanOrEqual(15);
    expect(plan).toContainEqual([
      "ip",
      "-n",
      "mlbts-123x0-node1",
      "addr",
      "add",
      "2001:db8:1::11/64",
      "dev",
      "eth0",
      "nodad",
    ]);
    expect(plan).toContainEqual([
      "ip",
      "-n",
      "mlbts-123x0-sw",
      "link",
      "set",
      "router-1",
      "master",
      "br-wan",
      "up",
    ]);
  });
});
