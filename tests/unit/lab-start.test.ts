// The embedded lab's pure parts: its demo stays inside the documentation ranges, its summary
// says what a user needs, and its teardown runs every step whatever happens.
import { describe, expect, it } from "vitest";
import { isDocumentationAddress } from "../../src/lab/net/doc-ranges.js";
import { Cleanup } from "../../src/sys/cleanup.js";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { overridePath } from "../../src/gitops/synth/tree.js";
import {
  BGP_POOL,
  DEMO_SERVICES,
  L2_POOL,
  serviceObjects,
} from "../../src/lab/start/demo-config.js";
import {
  LAB_CLUSTER,
  NEIGHBOURS,
  NODE_ASN,
  NODES,
  ROUTER,
  ROUTER_SPEC,
} from "../../src/lab/start/layout.js";
import { formatSummary, type SummaryInput } from "../../src/lab/start/summary.js";

const ADDRESS = /(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}/gi;

interface LabOverride {
  config: {
    ipAddressPools: { name: string; spec: { addresses: string[]; autoAssign?: boolean } }[];
    l2Advertisements: { spec: { ipAddressPools: string[] } }[];
    bgpPeers: { name: string; spec: { myASN: number; peerASN: number; peerAddress: string } }[];
    bgpAdvertisements: { spec: { ipAddressPools: string[]; peers: string[] } }[];
  };
}

const override = parse(
  readFileSync(new URL(`../../${overridePath(LAB_CLUSTER)}`, import.meta.url), "utf8"),
) as LabOverride;

describe("lab layout and demo configuration", () => {
  it("uses documentation addresses only", () => {
    const text = JSON.stringify([NODES, NEIGHBOURS, override, serviceObjects()]);
    const addresses = text.match(ADDRESS) ?? [];
    expect(addresses.length).toBeGreaterThan(10);
    for (const a of addresses) expect(isDocumentationAddress(a), a).toBe(true);
  });

  it("agrees with the lab cluster's override: pools, advertisements and the router's session", () => {
    const c = override.config;
    expect(c.ipAddressPools.map((p) => p.name).sort()).toEqual([L2_POOL, BGP_POOL].sort());
    expect(c.l2Advertisements.flatMap((a) => a.spec.ipAddressPools)).toEqual([L2_POOL]);
    expect(c.bgpAdvertisements.flatMap((a) => a.spec.ipAddressPools)).toEqual([BGP_POOL]);
    const [peer] = c.bgpPeers;
    expect(c.bgpAdvertisements[0]?.spec.peers).toEqual([peer?.name]);
    expect(peer?.spec).toMatchObject({
      myASN: NODE_ASN,
      peerASN: ROUTER.asn,
      peerAddress: ROUTER.ipv4,
    });
    for (const n of ROUTER_SPEC.neighbors) expect(n.asn).toBe(peer?.spec.myASN);
    // Only Services that ask for the routed pool by name land on the router.
    expect(c.ipAddressPools.find((p) => p.name === BGP_POOL)?.spec.autoAssign).toBe(false);
    for (const s of DEMO_SERVICES) expect(c.ipAddressPools.map((p) => p.name)).toContain(s.pool);
  });

  it("gives every Service an EndpointSlice per family", () => {
    const slices = serviceObjects().filter((o) => o.kind === "EndpointSlice");
    expect(slices).toHaveLength(DEMO_SERVICES.reduce((n, s) => n + s.families.length, 0));
  });
});

const input = (over: Partial<SummaryInput> = {}): SummaryInput => ({
  seconds: 42,
  kubeconfig: "/tmp/k/admin.kubeconfig",
  outcomes: [
    {
      service: DEMO_SERVICES[0]!,
      ips: ["192.0.2.200", "2001:db8::c8"],
      owners: { "192.0.2.200": "node1", "2001:db8::c8": "node2" },
    },
    {
      service: DEMO_SERVICES[1]!,
      ips: ["192.0.2.201"],
      owners: { "192.0.2.201": "node3" },
    },
    { service: DEMO_SERVICES[2]!, ips: ["203.0.113.10"], bgpNodes: ["node1", "node2", "node3"] },
  ],
  namespaces: { node1: "ns-node1", client: "ns-client", router: "ns-router" },
  nodes: NODES.map((n) => n.name),
  routerHost: "router",
  clientHost: "client",
  vtyDir: "/tmp/lab/frr-router",
  speakerMetricsPort: 7474,
  controllerMetricsPort: 7472,
  controllerNode: "node1",
  fluxSeconds: 33.5,
  workingCopy: "/tmp/k/work",
  overrideFile: "overlays/lab/services/metallb/override-values.yaml",
  cli: "node /repo/bin/metallb-ts.js",
  kubeDir: "/tmp/k",
  labDir: "/tmp/lab",
  check: false,
  ...over,
});

describe("lab summary", () => {
  it("names the kubeconfig, each Service's owners, the inspection commands and the logs", () => {
    const text = formatSummary(input());
    expect(text).toContain("kubectl --kubeconfig /tmp/k/admin.kubeconfig get svc -A");
    expect(text).toMatch(
      /demo\/web +192\.0\.2\.200, 2001:db8::c8 +L2: node1 answers for 192\.0\.2\.200, node2 answers for 2001:db8::c8/,
    );
    expect(text).toMatch(/demo\/shop +192\.0\.2\.201 +L2: node3 answers ARP\/NDP/);
    expect(text).toMatch(
      /demo\/api +203\.0\.113\.10 +BGP: the router learnt it from node1, node2, node3/,
    );
    expect(text).toContain("ip netns exec ns-client ip neigh");
    expect(text).toContain("ip netns exec ns-client arping -c1 -I eth0 192.0.2.200");
    expect(text).toContain("vtysh --vty_socket /tmp/lab/frr-router -c 'show bgp summary'");
    expect(text).toContain("/tmp/lab  <controller Pod>.log");
    expect(text).toContain("cd /tmp/k/work");
    expect(text).toContain("$EDITOR overlays/lab/services/metallb/override-values.yaml");
    expect(text).toContain("git commit -am");
    expect(text).toContain(
      "node /repo/bin/metallb-ts.js status --kubeconfig /tmp/k/admin.kubeconfig",
    );
    expect(text).toContain("ip netns exec ns-node1 curl -sk");
    expect(text.trimEnd().endsWith("Ctrl-C stops and removes everything.")).toBe(true);
  });

  it("in check mode ends with the verdict instead of Ctrl-C", () => {
    const text = formatSummary(input({ check: true }));
    expect(text).toContain("check passed");
    expect(text).not.toContain("Ctrl-C");
  });
});

describe("lab cleanup", () => {
  it("undoes in reverse order, keeps going past failures, and runs late steps at once", async () => {
    const done: string[] = [];
    const cleanup = new Cleanup();
    await cleanup.add("a", () => void done.push("a"));
    await cleanup.add("b", () => {
      throw new Error("b broke");
    });
    await cleanup.add("c", () => void done.push("c"));
    expect(await cleanup.run()).toEqual(["b: b broke"]);
    expect(done).toEqual(["c", "a"]);
    await cleanup.add("late", () => void done.push("late"));
    expect(done).toEqual(["c", "a", "late"]);
  });
});
