// The pure core of `metallb-ts status` (its real counterpart: tests/kube/status.test.ts and the
// Flux section in tests/gitops/flux-loop.test.ts): every Service and pool is listed, and the
// problems are exactly the waiting Services, held-back addresses, invalid configurations,
// invalid pools and Flux objects that are not Ready.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { statusReport, type StatusSnapshot } from "../../src/status/report.js";

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const cond = (type: string) =>
  fc.record({
    type: fc.constant(type),
    status: fc.constantFrom("True", "False"),
    reason: fc.constantFrom("IPConflict", "Probing", "Valid", "Progressing"),
    // Messages may span lines (Helm's do); the report keeps one line per problem.
    message: fc.constantFrom("", "one line", "first line\nsecond line"),
    lastTransitionTime: fc.constant("2026-12-04T00:00:00Z"),
  });

const snapshot: fc.Arbitrary<StatusSnapshot> = fc.record({
  namespace: fc.constant("metallb-system"),
  pools: fc.uniqueArray(
    fc.record({
      name,
      addresses: fc.constant(["203.0.113.0/29"]),
      status: fc.record({
        assignedIPv4: fc.nat(8),
        availableIPv4: fc.nat(8),
        conditions: fc.array(cond("Valid"), { maxLength: 1 }),
      }),
    }),
    { selector: (p) => p.name, maxLength: 4 },
  ),
  services: fc.uniqueArray(
    fc.record({
      namespace: fc.constant("apps"),
      name,
      addresses: fc.array(fc.constantFrom("203.0.113.1", "2001:db8::1"), { maxLength: 2 }),
    }),
    { selector: (s) => s.name, maxLength: 6 },
  ),
  l2: fc.array(
    fc.record({
      node: fc.constantFrom("node-a", "node-b"),
      serviceNamespace: fc.constant("apps"),
      serviceName: name,
      conditions: fc.array(cond("Announced"), { maxLength: 1 }),
    }),
    { maxLength: 6 },
  ),
  bgp: fc.constant([]),
  configuration: fc.array(
    fc.record({
      name,
      status: fc.record({
        result: fc.constantFrom("Valid" as const, "Invalid" as const),
        conditions: fc.array(cond("BGPSessions"), { maxLength: 1 }),
      }),
    }),
    { maxLength: 3 },
  ),
  flux: fc.option(
    fc.array(
      fc.record({
        kind: fc.constantFrom("Kustomization", "HelmRelease"),
        namespace: fc.constant("flux-system"),
        name,
        ready: cond("Ready"),
      }),
      { maxLength: 3 },
    ),
    { nil: undefined },
  ),
});

describe("statusReport", () => {
  it("counts exactly the problems it lists, and lists every Service and pool", () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const r = statusReport(s);
        const expected =
          s.services.filter((x) => !x.addresses.length).length +
          s.l2.flatMap((x) => x.conditions ?? []).filter((c) => c.status === "False").length +
          s.configuration.filter((c) => c.status?.result === "Invalid").length +
          s.configuration
            .flatMap((c) => c.status?.conditions ?? [])
            .filter((c) => c.type === "BGPSessions" && c.status === "False").length +
          s.pools.flatMap((p) => p.status?.conditions ?? []).filter((c) => c.status === "False")
            .length +
          (s.flux ?? []).filter((f) => f.ready?.status !== "True").length;
        expect(r.problems).toBe(expected);
        const lines = r.text.trimEnd().split("\n");
        const header = lines.findIndex((l) => l.startsWith("Problems"));
        expect(lines.length - header - 1).toBe(expected);
        for (const svc of s.services) expect(r.text).toContain(`apps/${svc.name}`);
        for (const p of s.pools) expect(r.text).toContain(`  ${p.name} `);
        expect(r.text.includes("\nFlux\n")).toBe(s.flux !== undefined);
      }),
    );
  });

  it("shows the L2 owner, its interfaces and BGP nodes with their peers", () => {
    const r = statusReport({
      namespace: "metallb-system",
      pools: [],
      services: [{ namespace: "apps", name: "web", addresses: ["203.0.113.5"] }],
      l2: [
        {
          node: "node-b",
          serviceNamespace: "apps",
          serviceName: "web",
          interfaces: [{ name: "eth0" }, { name: "eth1" }],
        },
      ],
      bgp: [{ node: "node-a", serviceNamespace: "apps", serviceName: "web", peers: ["tor-1"] }],
      configuration: [],
    });
    expect(r.text).toMatch(
      /apps\/web\s+203\.0\.113\.5\s+L2 node-b \(eth0,eth1\); BGP node-a → tor-1/,
    );
    expect(r.problems).toBe(0);
  });

  it("lists each node's BGP sessions and counts a node whose sessions are not all up", () => {
    const sessions = (status: "True" | "False", message: string) => ({
      result: "Valid" as const,
      conditions: [
        {
          type: "BGPSessions",
          status,
          reason: status === "True" ? "SessionsEstablished" : "SessionsNotEstablished",
          message,
          lastTransitionTime: "2026-12-05T00:00:00Z",
        },
      ],
    });
    const r = statusReport({
      namespace: "metallb-system",
      pools: [],
      services: [],
      l2: [],
      bgp: [],
      configuration: [
        { name: "speaker-node-b", status: sessions("True", "tor-1 (192.0.2.1) Established") },
        {
          name: "speaker-node-a",
          status: sessions("False", "tor-1 (192.0.2.1) not Established: connect ECONNREFUSED"),
        },
        { name: "controller", status: { result: "Valid" } },
      ],
    });
    expect(r.text).toMatch(
      /BGP sessions.*\n.*NODE.*\n\s+node-a\s+no\s+tor-1 \(192\.0\.2\.1\) not Established: connect ECONNREFUSED\n\s+node-b\s+yes\s+tor-1/,
    );
    expect(r.problems).toBe(1);
    expect(r.text).toContain("BGP sessions on node-a: tor-1 (192.0.2.1) not Established");
  });
});
