import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  announceable,
  configOf,
  desiredInput,
  electionInput,
  readyNodesByService,
  type ClusterSnapshot,
} from "../../src/runtime/speaker/cluster-view.js";
import { nodeFacts } from "../../src/runtime/speaker/node-eligibility.js";
import { leaseFacts } from "../../src/runtime/speaker/node-lease.js";
import {
  announcedCondition,
  l2Statuses,
  planStatuses,
  stampStatusConditions,
  statusName,
  type L2AddressOutcome,
  type L2Problem,
} from "../../src/runtime/speaker/status-plan.js";

const slice = (svc: string, endpoints: V1EndpointSlice["endpoints"]): V1EndpointSlice => ({
  addressType: "IPv4",
  metadata: { namespace: "ns", labels: { "kubernetes.io/service-name": svc } },
  endpoints,
});

const lb = (name: string, over: Partial<V1Service> = {}): V1Service => ({
  metadata: {
    namespace: "ns",
    name,
    annotations: { "metallb.io/ip-allocated-from-pool": "p" },
  },
  spec: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
  status: { loadBalancer: { ingress: [{ ip: "2001:db8:0:0::5" }] } },
  ...over,
});

function snapshot(over: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    nodes: [
      {
        metadata: { name: "n1", labels: { zone: "a" } },
        status: { conditions: [{ type: "NetworkUnavailable", status: "False" }] },
      },
    ],
    services: [lb("a")],
    endpointSlices: [slice("a", [{ addresses: ["192.0.2.9"], nodeName: "n1" }])],
    pools: [
      { metadata: { name: "p", labels: { tier: "gold" } }, spec: { addresses: ["2001:db8::/64"] } },
    ],
    l2Advertisements: [{ metadata: { name: "l2" }, spec: {} }],
    bgpAdvertisements: [],
    bgpPeers: [],
    communities: [],
    ...over,
  };
}

describe("speaker cluster view", () => {
  it("counts ready (or unset) endpoints by node, never terminating ones", () => {
    const ready = readyNodesByService([
      slice("a", [
        { addresses: ["192.0.2.1"], nodeName: "n1", conditions: { ready: true } },
        { addresses: ["192.0.2.2"], nodeName: "n2" },
        { addresses: ["192.0.2.3"], nodeName: "n3", conditions: { ready: false } },
        {
          addresses: ["192.0.2.4"],
          nodeName: "n4",
          conditions: { ready: true, terminating: true },
        },
      ]),
      slice("a", [{ addresses: ["192.0.2.5"], nodeName: "n0" }]),
    ]);
    expect(ready.get("ns/a")).toEqual(["n0", "n1", "n2"]);
  });

  it("takes a slice with no endpoints as the API server sends it (null), with the others", () => {
    // kube-controller-manager writes such a slice for a Service whose selector matches no Pod.
    const empty = { ...slice("b", []), endpoints: null } as unknown as V1EndpointSlice;
    const ready = readyNodesByService([
      empty,
      slice("a", [{ addresses: ["192.0.2.1"], nodeName: "n1" }]),
    ]);
    expect(ready.get("ns/b")).toEqual([]);
    expect(ready.get("ns/a")).toEqual(["n1"]);
  });

  it("reads NetworkUnavailable from the node's conditions", () => {
    expect(
      nodeFacts({
        metadata: { name: "x" },
        status: { conditions: [{ type: "NetworkUnavailable", status: "True" }] },
      }).networkUnavailable,
    ).toBe(true);
  });

  it("announces only assigned LoadBalancers of our class, with canonical addresses", () => {
    const snap = snapshot({
      services: [
        lb("a"),
        lb("other-class", { spec: { type: "LoadBalancer", loadBalancerClass: "x/y" } }),
        lb("pending", { status: {} }),
      ],
    });
    const input = electionInput(snap, configOf(snap, "metallb-system"), new Set(["n1"]));
    expect(input.services).toEqual([
      {
        key: "ns/a",
        ips: ["2001:db8::5"],
        pool: "p",
        trafficPolicy: "Local",
        readyNodes: ["n1"],
      },
    ]);
  });

  it("takes each address's pool from the pools that contain it, never from the annotation", () => {
    const snap = snapshot({
      pools: [
        { metadata: { name: "p" }, spec: { addresses: ["2001:db8::/64"] } },
        { metadata: { name: "v4" }, spec: { addresses: ["192.0.2.0/24"] } },
        { metadata: { name: "premium" }, spec: { addresses: ["203.0.113.0/24"] } },
      ],
      services: [
        // A tenant re-pointed the annotation at a pool with better peers and communities.
        lb("repointed", {
          metadata: {
            namespace: "ns",
            name: "repointed",
            annotations: { "metallb.io/ip-allocated-from-pool": "premium" },
          },
        }),
        // Not yet annotated by the controller: announced all the same.
        lb("fresh", { metadata: { namespace: "ns", name: "fresh" } }),
        lb("dual", {
          metadata: { namespace: "ns", name: "dual" },
          status: { loadBalancer: { ingress: [{ ip: "192.0.2.7" }, { ip: "2001:db8::7" }] } },
        }),
        lb("outside", {
          metadata: { namespace: "ns", name: "outside" },
          status: { loadBalancer: { ingress: [{ ip: "2001:db8:1::1" }] } },
        }),
      ],
    });
    const view = announceable(snap, configOf(snap, "metallb-system"));
    // The re-pointed address is announced as neither pool's: nothing, until the annotation is
    // restored; the problem says why.
    expect(view.services.map((s) => [s.key, s.pool, s.ips])).toEqual([
      ["ns/fresh", "p", ["2001:db8::5"]],
      ["ns/dual", "v4", ["192.0.2.7"]],
      ["ns/dual", "p", ["2001:db8::7"]],
    ]);
    expect(view.problems.map((p) => [p.service, p.reason])).toEqual([
      ["ns/repointed", "PoolAnnotationMismatch"],
      ["ns/outside", "AddressNotInPool"],
    ]);
    expect(view.problems[0]?.message).toMatch(/says "premium", but 2001:db8::5 is in pool p/);
  });

  it("builds the BGP input for a known node only", () => {
    const snap = snapshot();
    const config = configOf(snap, "metallb-system");
    expect(desiredInput(snap, config, "n1")?.node.name).toBe("n1");
    expect(desiredInput(snap, config, "ghost")).toBeUndefined();
  });
});

describe("speaker Lease facts", () => {
  it("reads the node, the renewTime as text, the uid and a usable heartbeat address", () => {
    const facts = leaseFacts({
      metadata: {
        name: "metallb-speaker-n1",
        uid: "u1",
        annotations: {
          "metallb.io/heartbeat-address": "192.0.2.11",
          "metallb.io/macs": "02:00:00:00:00:01, not-a-mac",
        },
      },
      spec: { holderIdentity: "n1", leaseDurationSeconds: 10, renewTime: new Date(1000_000) },
    });
    expect(facts).toEqual({
      node: "n1",
      renew: new Date(1000_000).toISOString(),
      uid: "u1",
      durationSeconds: 10,
      heartbeatAddress: "192.0.2.11",
      macs: ["02:00:00:00:00:01"],
    });
    expect(leaseFacts({ metadata: { name: "metallb-ts-controller" } })).toBeUndefined();
  });

  it("a heartbeat address that is not an IP is a problem, not a peer", () => {
    const facts = leaseFacts({
      metadata: {
        name: "metallb-speaker-n2",
        annotations: { "metallb.io/heartbeat-address": "garbage:::" },
      },
      spec: { holderIdentity: "n2", leaseDurationSeconds: 10 },
    });
    expect(facts?.heartbeatAddress).toBeUndefined();
    expect(facts?.heartbeatProblem).toContain('"garbage:::", not an IP address');
  });
});

const ok = (ip: string, services: string[], interfaces: string[]): L2AddressOutcome => ({
  ip,
  services,
  interfaces,
  problems: [],
});

describe("status plan", () => {
  it("creates what is missing, rewrites what changed, deletes what is no longer announced", () => {
    const wanted = l2Statuses("n1", [
      ok("192.0.2.1", ["ns/a"], ["eth0"]),
      ok("192.0.2.2", ["ns/b"], ["eth1"]),
    ]);
    const a = wanted[0]!;
    const b = wanted[1]!;
    expect(a.name).toBe(statusName("l2", "ns/a", "n1"));
    const condition = {
      type: "Announced",
      status: "True",
      reason: "Announced",
      message: "192.0.2.1 answered on eth0",
    };
    expect(a.status).toEqual({
      node: "n1",
      serviceName: "a",
      serviceNamespace: "ns",
      interfaces: [{ name: "eth0" }],
      conditions: [condition],
    });
    // as the API server returns it: keys sorted
    const stored = {
      conditions: [
        { message: condition.message, reason: "Announced", status: "True", type: "Announced" },
      ],
      interfaces: [{ name: "eth0" }],
      node: "n1",
      serviceName: "a",
      serviceNamespace: "ns",
    };
    const plan = planStatuses(
      wanted,
      new Map<string, Record<string, unknown> | undefined>([
        [a.name, stored],
        ["l2-gone", { node: "n1" }],
      ]),
    );
    expect(plan).toEqual({ put: [b], remove: ["l2-gone"] });
  });

  it("a Service whose address is held back by a conflict keeps a status saying why", () => {
    const conflict: L2Problem = {
      reason: "IPConflict",
      message: "192.0.2.9 is answered by 02:00:00:00:00:09 on eth0",
    };
    const [s] = l2Statuses("n1", [
      { ip: "192.0.2.9", services: ["ns/c"], interfaces: [], problems: [conflict] },
    ]);
    expect(s?.status.interfaces).toEqual([]);
    expect(s?.status.conditions).toEqual([
      { type: "Announced", status: "False", reason: "IPConflict", message: conflict.message },
    ]);
  });

  it("a dual-stack Service is Announced only when both addresses are; a missing interface is named", () => {
    const missing: L2Problem = { reason: "InterfaceMissing", message: "interface(s) eth9 …" };
    expect(
      announcedCondition([
        ok("192.0.2.1", ["ns/d"], ["eth0"]),
        { ip: "2001:db8::1", services: ["ns/d"], interfaces: [], problems: [missing] },
      ]),
    ).toEqual({
      type: "Announced",
      status: "False",
      reason: "InterfaceMissing",
      message: missing.message,
    });
    // announced on eth0 although the advertisement also names eth9
    expect(
      announcedCondition([
        { ip: "192.0.2.1", services: ["ns/d"], interfaces: ["eth0"], problems: [missing] },
      ]),
    ).toMatchObject({ status: "True", reason: "InterfaceMissing" });
    // only a suspicion so far: not announced, reason Probing
    expect(
      announcedCondition([
        {
          ip: "192.0.2.1",
          services: ["ns/d"],
          interfaces: [],
          problems: [{ reason: "Probing", message: "m" }],
        },
      ]),
    ).toMatchObject({ status: "False", reason: "Probing" });
  });

  it("keeps a condition's lastTransitionTime while its status stays, so nothing is rewritten", () => {
    const wanted = l2Statuses("n1", [ok("192.0.2.1", ["ns/a"], ["eth0"])]);
    const name = wanted[0]!.name;
    const first = stampStatusConditions(wanted, new Map(), "2026-01-01T00:00:00.000Z");
    const stored = new Map([[name, first[0]!.status]]);
    const again = stampStatusConditions(wanted, stored, "2026-01-01T00:05:00.000Z");
    expect(again).toEqual(first);
    expect(planStatuses(again, stored).put).toEqual([]);
    const failed = l2Statuses("n1", [
      {
        ip: "192.0.2.1",
        services: ["ns/a"],
        interfaces: [],
        problems: [{ reason: "IPConflict", message: "m" }],
      },
    ]);
    const changed = stampStatusConditions(failed, stored, "2026-01-01T00:05:00.000Z");
    expect(changed[0]!.status.conditions).toEqual([
      expect.objectContaining({ status: "False", lastTransitionTime: "2026-01-01T00:05:00.000Z" }),
    ]);
  });
});
