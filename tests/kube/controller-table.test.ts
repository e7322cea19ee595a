// The controller conformance table: one named scenario per input the controller understands, each
// against the real API server with the controller as a real process under its RBAC identity.
//
// Isolation: this suite's controller reads its pools from its own namespace and serves only its
// own loadBalancerClass, so it never competes with controller.test.ts. Every scenario gets its
// own Service namespace, its own /29 of IPv4 and /120 of IPv6, and pools restricted to its
// namespace(s), so scenarios cannot see each other's addresses.
import { PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions } from "@kubernetes/client-node";
import { METRICS_READER_RULES } from "../../src/api/rbac/metrics.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/sys/ports.js";
import { waitFor, type Managed } from "../../src/sys/proc.js";
import type { ServiceShape } from "../../src/lab/kube/harness.js";
import { sharedHarness } from "./shared-harness.js";
import { scrape } from "../../src/lab/kube/scrape.js";
import { kubeConfigFor } from "./client.js";

const adminToken = kubeConfigFor("admin").getCurrentUser()?.token ?? "";

const h = sharedHarness();

const CONFIG = "tbl-system";
const CLASS = "metallb-ts.test/table";
const { core, custom } = h;
const logDir = mkdtempSync(join(tmpdir(), "metallb-ts-table-"));
let controller: Managed;
let controllerExit: number | string | undefined;
let metricsPort = 0;
let healthPort = 0;

/** What a scenario works with: its namespace, its addresses, and helpers bound to both. */
class T {
  readonly ns: string;
  constructor(private readonly index: number) {
    this.ns = `tbl-${index}`;
  }

  /** The k-th IPv4 address of this scenario's /29. */
  v4(k = 0): string {
    const i = this.index;
    return i < 32 ? `192.0.2.${i * 8 + k}` : `198.51.100.${128 + (i - 32) * 8 + k}`;
  }

  get v4Block(): string {
    return `${this.v4()}/29`;
  }

  /** The k-th IPv6 address of this scenario's /120. */
  v6(k = 0): string {
    return `2001:db8:${(this.index + 1).toString(16)}::${k ? k.toString(16) : ""}`;
  }

  get v6Block(): string {
    return `${this.v6()}/120`;
  }

  /** A pool named `<ns>-<name>`, serving only this scenario's namespace unless told otherwise. */
  async pool(name: string, spec: Record<string, unknown>): Promise<string> {
    const full = `${this.ns}-${name}`;
    await h.createPool(CONFIG, full, { serviceAllocation: { namespaces: [this.ns] }, ...spec });
    return full;
  }

  async deletePool(name: string): Promise<void> {
    await custom.deleteNamespacedCustomObject({ ...poolTarget, name: `${this.ns}-${name}` });
  }

  async patchPool(name: string, spec: Record<string, unknown>): Promise<void> {
    await custom.patchNamespacedCustomObject(
      { ...poolTarget, name: `${this.ns}-${name}`, body: { spec } },
      mergePatch,
    );
  }

  svc(name: string, shape: ServiceShape = {}, ns = this.ns): ReturnType<typeof h.lbService> {
    return h.lbService(ns, name, {
      ...shape,
      spec: { loadBalancerClass: CLASS, ...shape.spec },
    });
  }

  async patchSvc(name: string, body: object): Promise<void> {
    await core.patchNamespacedService({ name, namespace: this.ns, body }, mergePatch);
  }

  ingress(name: string, ns = this.ns): Promise<string[]> {
    return h.ingress(ns, name);
  }

  waitIngress(name: string, ok?: (ips: string[]) => boolean, ns = this.ns): Promise<string[]> {
    return h.waitIngress(ns, name, ok);
  }

  waitEvent(name: string, reason: string): ReturnType<typeof h.waitEvent> {
    return h.waitEvent(this.ns, name, reason);
  }

  events(name: string): ReturnType<typeof h.events> {
    return h.events(this.ns, name);
  }

  /**
   * Proves that everything created before was processed: a marker Service (sorted last in the
   * controller's queue) gets an address from a pool of its own.
   */
  async settle(): Promise<void> {
    const pool = await this.pool("marker", {
      addresses: [this.v6Block],
      serviceAllocation: { namespaces: [this.ns], serviceSelectors: [{ matchLabels: { m: "1" } }] },
    });
    await this.svc("zz-marker", {
      labels: { m: "1" },
      annotations: { "metallb.io/address-pool": pool },
      spec: { ipFamilies: ["IPv6"] },
    });
    await this.waitIngress("zz-marker");
  }

  /** Deletes the scenario's Services (ClusterIPs are scarce) and pools. */
  async cleanup(namespaces: string[]): Promise<void> {
    for (const namespace of namespaces)
      for (const s of (await core.listNamespacedService({ namespace })).items)
        await core.deleteNamespacedService({ name: s.metadata?.name ?? "", namespace });
    const pools = (await custom.listNamespacedCustomObject({ ...poolTarget })) as {
      items: { metadata: { name: string } }[];
    };
    for (const p of pools.items)
      if (p.metadata.name.startsWith(`${this.ns}-`))
        await custom.deleteNamespacedCustomObject({ ...poolTarget, name: p.metadata.name });
  }
}

const poolTarget = {
  group: "metallb.io",
  version: "v1beta1",
  namespace: CONFIG,
  plural: "ipaddresspools",
};
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

interface Scenario {
  name: string;
  /** Extra namespaces the scenario needs, with their labels. */
  namespaces?: (t: T) => Record<string, Record<string, string>>;
  run(t: T): Promise<void>;
}

const dualStack = { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "RequireDualStack" };

const SCENARIOS: Scenario[] = [
  {
    name: "IPv4 SingleStack: the lowest address of the pool, annotated with the pool",
    async run(t) {
      const pool = await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("a");
      expect(await t.waitIngress("a")).toEqual([t.v4(0)]);
      await waitFor(
        "pool annotation",
        async () =>
          (await core.readNamespacedService({ name: "a", namespace: t.ns })).metadata
            ?.annotations?.["metallb.io/ip-allocated-from-pool"] === pool || undefined,
        60_000,
      );
    },
  },
  {
    name: "IPv6 SingleStack: an IPv6 address in RFC 5952 form",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block, t.v6Block] });
      await t.svc("a", { spec: { ipFamilies: ["IPv6"] } });
      expect(await t.waitIngress("a")).toEqual([t.v6(0)]);
    },
  },
  {
    name: "IPv6 start-end range",
    async run(t) {
      await t.pool("p", { addresses: [`${t.v6(0x10)}-${t.v6(0x11)}`] });
      await t.svc("a", { spec: { ipFamilies: ["IPv6"] } });
      expect(await t.waitIngress("a")).toEqual([t.v6(0x10)]);
    },
  },
  {
    name: "RequireDualStack: one IPv4 and one IPv6 address from one pool",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block, t.v6Block] });
      await t.svc("a", { spec: dualStack });
      expect(await t.waitIngress("a")).toEqual([t.v4(0), t.v6(0)]);
    },
  },
  {
    name: "RequireDualStack with an IPv4-only pool: AllocationFailed",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("a", { spec: dualStack });
      expect((await t.waitEvent("a", "AllocationFailed")).message).toContain("IPv4+IPv6");
      expect(await t.ingress("a")).toEqual([]);
    },
  },
  {
    name: "PreferDualStack with an IPv4-only pool: the IPv4 address alone",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("a", {
        spec: { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" },
      });
      expect(await t.waitIngress("a")).toEqual([t.v4(0)]);
    },
  },
  {
    name: "PreferDualStack with a dual-stack pool: both families",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block, t.v6Block] });
      await t.svc("a", {
        spec: { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" },
      });
      expect(await t.waitIngress("a")).toEqual([t.v4(0), t.v6(0)]);
    },
  },
  {
    name: "spec.loadBalancerIP is honoured",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("a", { spec: { loadBalancerIP: t.v4(5) } });
      expect(await t.waitIngress("a")).toEqual([t.v4(5)]);
    },
  },
  {
    name: "dual-stack requested IPs via metallb.io/loadBalancerIPs",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block, t.v6Block] });
      await t.svc("a", {
        annotations: { "metallb.io/loadBalancerIPs": `${t.v4(3)},${t.v6(7)}` },
        spec: dualStack,
      });
      expect(await t.waitIngress("a")).toEqual([t.v4(3), t.v6(7)]);
    },
  },
  {
    name: "two sources of requested IPs at once: Warning, no address",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("a", {
        annotations: { "metallb.io/loadBalancerIPs": t.v4(1) },
        spec: { loadBalancerIP: t.v4(2) },
      });
      const ev = await t.waitEvent("a", "AllocationFailed");
      expect(ev.message).toContain("spec.loadBalancerIP");
      expect(await t.ingress("a")).toEqual([]);
    },
  },
  {
    name: "malformed requested IP: Warning naming the Service and the input",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("a", { annotations: { "metallb.io/loadBalancerIPs": "192.0.2.300" } });
      const ev = await t.waitEvent("a", "AllocationFailed");
      expect(ev.type).toBe("Warning");
      expect(ev.message).toContain(`${t.ns}/a`);
      expect(ev.message).toContain('"192.0.2.300" is not an IP address');
    },
  },
  {
    name: "two requested IPs of one family: Warning",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("a", { annotations: { "metallb.io/loadBalancerIPs": `${t.v4(1)},${t.v4(2)}` } });
      expect((await t.waitEvent("a", "AllocationFailed")).message).toContain(
        "more than one address of a family",
      );
    },
  },
  {
    name: "requested IP held by an incompatible Service: Warning, the holder keeps it",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("holder", { annotations: { "metallb.io/loadBalancerIPs": t.v4(4) } });
      await t.waitIngress("holder");
      await t.svc("taker", { annotations: { "metallb.io/loadBalancerIPs": t.v4(4) } });
      const ev = await t.waitEvent("taker", "AllocationFailed");
      expect(ev.message).toContain(`held by ${t.ns}/holder`);
      expect(await t.ingress("holder")).toEqual([t.v4(4)]);
      expect(await t.ingress("taker")).toEqual([]);
    },
  },
  {
    name: "metallb.io/address-pool naming a pool that does not exist",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("a", { annotations: { "metallb.io/address-pool": `${t.ns}-nope` } });
      expect((await t.waitEvent("a", "AllocationFailed")).message).toContain("does not exist");
      expect(await t.ingress("a")).toEqual([]);
    },
  },
  {
    name: "metallb.io/address-pool naming a pool that does not serve the namespace",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      const other = await t.pool("other", {
        addresses: [t.v6Block],
        serviceAllocation: { namespaces: ["tbl-nobody"] },
      });
      await t.svc("a", { annotations: { "metallb.io/address-pool": other } });
      expect((await t.waitEvent("a", "AllocationFailed")).message).toContain(
        "does not serve this Service",
      );
    },
  },
  {
    name: "deprecated metallb.universe.tf/address-pool works with a deprecatedAnnotation event",
    async run(t) {
      await t.pool("p", { addresses: [`${t.v4(0)}/30`] });
      const b = await t.pool("b", { addresses: [`${t.v4(4)}/30`] });
      await t.svc("a", { annotations: { "metallb.universe.tf/address-pool": b } });
      expect(await t.waitIngress("a")).toEqual([t.v4(4)]);
      expect((await t.waitEvent("a", "deprecatedAnnotation")).message).toContain(
        "metallb.universe.tf/address-pool",
      );
    },
  },
  {
    name: "namespaceSelectors: a labelled namespace is served, an unlabelled one is not",
    namespaces: (t) => ({ [`${t.ns}-in`]: { team: "blue" }, [`${t.ns}-out`]: { team: "red" } }),
    async run(t) {
      await t.pool("p", {
        addresses: [t.v4Block],
        // Selectors alone: a listed namespace would be admitted too (upstream's union).
        serviceAllocation: { namespaceSelectors: [{ matchLabels: { team: "blue" } }] },
      });
      await t.svc("a", {}, `${t.ns}-in`);
      await t.svc("a", {}, `${t.ns}-out`);
      expect(await t.waitIngress("a", undefined, `${t.ns}-in`)).toEqual([t.v4(0)]);
      const ev = await h.waitEvent(`${t.ns}-out`, "a", "AllocationFailed");
      expect(ev.message).toContain("no IPAddressPool with autoAssign serves this Service");
    },
  },
  {
    name: "namespace labels change: the Service that lost its pool is cleared",
    namespaces: (t) => ({ [`${t.ns}-moving`]: { team: "blue" } }),
    async run(t) {
      const ns = `${t.ns}-moving`;
      await t.pool("p", {
        addresses: [t.v4Block],
        serviceAllocation: { namespaceSelectors: [{ matchLabels: { team: "blue" } }] },
      });
      await t.svc("a", {}, ns);
      await t.waitIngress("a", undefined, ns);
      await core.patchNamespace(
        { name: ns, body: { metadata: { labels: { team: "red" } } } },
        mergePatch,
      );
      await t.waitIngress("a", (ips) => ips.length === 0, ns);
      expect((await h.waitEvent(ns, "a", "ClearAssignment")).type).toBe("Normal");
    },
  },
  {
    name: "serviceSelectors: only labelled Services are served",
    async run(t) {
      await t.pool("p", {
        addresses: [t.v4Block],
        serviceAllocation: {
          namespaces: [t.ns],
          serviceSelectors: [{ matchLabels: { lb: "yes" } }],
        },
      });
      await t.svc("in", { labels: { lb: "yes" } });
      await t.svc("out");
      expect(await t.waitIngress("in")).toEqual([t.v4(0)]);
      expect((await t.waitEvent("out", "AllocationFailed")).message).toContain("no IPAddressPool");
    },
  },
  {
    name: "serviceAllocation.priority: the lower number is tried first",
    async run(t) {
      await t.pool("second", {
        addresses: [`${t.v4(0)}/30`],
        serviceAllocation: { namespaces: [t.ns], priority: 20 },
      });
      await t.pool("first", {
        addresses: [`${t.v4(4)}/30`],
        serviceAllocation: { namespaces: [t.ns], priority: 10 },
      });
      await t.svc("a");
      expect(await t.waitIngress("a")).toEqual([t.v4(4)]);
    },
  },
  {
    name: "priority: the next pool is used when the preferred one is full",
    async run(t) {
      await t.pool("small", {
        addresses: [`${t.v4(0)}/32`],
        serviceAllocation: { namespaces: [t.ns], priority: 1 },
      });
      await t.pool("big", {
        addresses: [`${t.v4(4)}/30`],
        serviceAllocation: { namespaces: [t.ns], priority: 2 },
      });
      await t.svc("a");
      expect(await t.waitIngress("a")).toEqual([t.v4(0)]);
      await t.svc("b");
      expect(await t.waitIngress("b")).toEqual([t.v4(4)]);
    },
  },
  {
    name: "autoAssign: false is skipped unless named",
    async run(t) {
      await t.pool("manual", { addresses: [`${t.v4(0)}/30`], autoAssign: false });
      await t.pool("auto", { addresses: [`${t.v4(4)}/30`] });
      await t.svc("a");
      expect(await t.waitIngress("a")).toEqual([t.v4(4)]);
    },
  },
  {
    name: "autoAssign: false pool serves a requested address without naming the pool",
    async run(t) {
      await t.pool("manual", { addresses: [t.v4Block], autoAssign: false });
      await t.svc("a", { annotations: { "metallb.io/loadBalancerIPs": t.v4(6) } });
      expect(await t.waitIngress("a")).toEqual([t.v4(6)]);
    },
  },
  {
    name: "only an autoAssign: false pool: pending with one AllocationFailed",
    async run(t) {
      await t.pool("manual", { addresses: [t.v4Block], autoAssign: false });
      await t.svc("a");
      expect((await t.waitEvent("a", "AllocationFailed")).message).toContain("no IPAddressPool");
    },
  },
  {
    name: "avoidBuggyIPs never hands out an address ending in .255",
    async run(t) {
      // No other scenario uses 203.0.113.0/24 (the blocks are elsewhere).
      await t.pool("p", { addresses: ["203.0.113.254-203.0.113.255"], avoidBuggyIPs: true });
      await t.svc("a");
      expect(await t.waitIngress("a")).toEqual(["203.0.113.254"]);
      await t.svc("b");
      expect((await t.waitEvent("b", "AllocationFailed")).message).toContain("no free IPv4");
    },
  },
  {
    name: "sharing: same key and disjoint ports share one address",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      const share = { "metallb.io/allow-shared-ip": "k" };
      await t.svc("tcp", { annotations: share, spec: { ports: [{ port: 53, protocol: "TCP" }] } });
      const ip = await t.waitIngress("tcp");
      await t.svc("udp", { annotations: share, spec: { ports: [{ port: 53, protocol: "UDP" }] } });
      expect(await t.waitIngress("udp")).toEqual(ip);
    },
  },
  {
    name: "sharing: same key but a clashing port gets its own address",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      const share = { "metallb.io/allow-shared-ip": "k" };
      await t.svc("one", { annotations: share });
      expect(await t.waitIngress("one")).toEqual([t.v4(0)]);
      await t.svc("two", { annotations: share });
      expect(await t.waitIngress("two")).toEqual([t.v4(1)]);
    },
  },
  {
    name: "sharing: same key, requested address, clashing port: Warning",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      const share = (ip: string) => ({
        "metallb.io/allow-shared-ip": "k",
        "metallb.io/loadBalancerIPs": ip,
      });
      await t.svc("one", { annotations: share(t.v4(2)) });
      await t.waitIngress("one");
      await t.svc("two", { annotations: share(t.v4(2)) });
      expect((await t.waitEvent("two", "AllocationFailed")).message).toContain(
        `port TCP/80 is already used on it by ${t.ns}/one`,
      );
      expect(await t.ingress("one")).toEqual([t.v4(2)]);
    },
  },
  {
    name: "sharing: different keys never share",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("one", {
        annotations: { "metallb.io/allow-shared-ip": "x", "metallb.io/loadBalancerIPs": t.v4(3) },
      });
      await t.waitIngress("one");
      await t.svc("two", {
        annotations: { "metallb.io/allow-shared-ip": "y", "metallb.io/loadBalancerIPs": t.v4(3) },
        spec: { ports: [{ port: 81, protocol: "TCP" }] },
      });
      expect((await t.waitEvent("two", "AllocationFailed")).message).toContain(
        "do not carry the same metallb.io/allow-shared-ip key",
      );
    },
  },
  {
    name: "sharing: Local policy with the same selector shares",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      const spec = (port: number) => ({
        externalTrafficPolicy: "Local",
        selector: { app: "web" },
        ports: [{ port, protocol: "TCP" }],
      });
      const share = { "metallb.io/allow-shared-ip": "k" };
      await t.svc("http", { annotations: share, spec: spec(80) });
      const ip = await t.waitIngress("http");
      await t.svc("https", { annotations: share, spec: spec(443) });
      expect(await t.waitIngress("https")).toEqual(ip);
    },
  },
  {
    name: "sharing: Local policy with different selectors does not share a requested address",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      const ann = { "metallb.io/allow-shared-ip": "k", "metallb.io/loadBalancerIPs": t.v4(1) };
      await t.svc("one", { annotations: ann, spec: { externalTrafficPolicy: "Local" } });
      await t.waitIngress("one");
      await t.svc("two", {
        annotations: ann,
        spec: { externalTrafficPolicy: "Local", ports: [{ port: 81, protocol: "TCP" }] },
      });
      expect((await t.waitEvent("two", "AllocationFailed")).message).toContain(
        "select the same pods",
      );
    },
  },
  {
    name: "sharing: Cluster and Local policies do not share",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      const ann = { "metallb.io/allow-shared-ip": "k", "metallb.io/loadBalancerIPs": t.v4(1) };
      await t.svc("one", { annotations: ann });
      await t.waitIngress("one");
      await t.svc("two", {
        annotations: ann,
        spec: { externalTrafficPolicy: "Local", ports: [{ port: 81, protocol: "TCP" }] },
      });
      // Upstream compares the backend key: "" for Cluster, the selector for Local.
      expect((await t.waitEvent("two", "AllocationFailed")).message).toContain(
        "select the same pods",
      );
    },
  },
  {
    name: "pool deleted: ClearAssignment, then a new pool serves the Service again",
    async run(t) {
      // Another pool stays, so this is not "every pool deleted" (which clears silently).
      await t.pool("stays", {
        addresses: [t.v6Block],
        serviceAllocation: { namespaces: ["elsewhere"] },
      });
      await t.pool("old", { addresses: [`${t.v4(0)}/30`] });
      await t.svc("a");
      await t.waitIngress("a");
      await t.deletePool("old");
      await t.waitIngress("a", (ips) => ips.length === 0);
      const cleared = await t.waitEvent("a", "ClearAssignment");
      expect(cleared.type).toBe("Normal");
      expect(cleared.message).toContain("not allowed by any IPAddressPool");
      await t.pool("new", { addresses: [`${t.v4(4)}/30`] });
      expect(await t.waitIngress("a")).toEqual([t.v4(4)]);
    },
  },
  {
    name: "pool shrunk: only the address that left moves",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      for (const n of ["a", "b", "c"]) {
        await t.svc(n);
        await t.waitIngress(n);
      }
      // c holds .2; keep .0, .1 and .4-.7
      await t.patchPool("p", { addresses: [`${t.v4(0)}-${t.v4(1)}`, `${t.v4(4)}/30`] });
      expect(await t.waitIngress("c", (ips) => ips[0] !== t.v4(2))).toEqual([t.v4(4)]);
      expect(await t.ingress("a")).toEqual([t.v4(0)]);
      expect(await t.ingress("b")).toEqual([t.v4(1)]);
    },
  },
  {
    name: "pool grown: a waiting Service is served at once",
    async run(t) {
      await t.pool("p", { addresses: [`${t.v4(0)}/32`] });
      await t.svc("a");
      await t.waitIngress("a");
      await t.svc("b");
      await t.waitEvent("b", "AllocationFailed");
      await t.patchPool("p", { addresses: [`${t.v4(0)}/31`] });
      expect(await t.waitIngress("b")).toEqual([t.v4(1)]);
    },
  },
  {
    name: "type LoadBalancer → ClusterIP releases the address to a waiting Service",
    async run(t) {
      await t.pool("p", { addresses: [`${t.v4(0)}/32`] });
      await t.svc("a");
      await t.waitIngress("a");
      await t.svc("b");
      await t.waitEvent("b", "AllocationFailed");
      await t.patchSvc("a", { spec: { type: "ClusterIP", loadBalancerClass: null } });
      expect(await t.waitIngress("b")).toEqual([t.v4(0)]);
    },
  },
  {
    name: "type ClusterIP → LoadBalancer gets an address",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await core.createNamespacedService({
        namespace: t.ns,
        body: { metadata: { name: "a" }, spec: { ports: [{ port: 80 }] } },
      });
      await t.patchSvc("a", { spec: { type: "LoadBalancer", loadBalancerClass: CLASS } });
      expect(await t.waitIngress("a")).toEqual([t.v4(0)]);
    },
  },
  {
    name: "requested address changed: the Service moves to it",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("a", { annotations: { "metallb.io/loadBalancerIPs": t.v4(1) } });
      await t.waitIngress("a");
      await t.patchSvc("a", {
        metadata: { annotations: { "metallb.io/loadBalancerIPs": t.v4(6) } },
      });
      expect(await t.waitIngress("a", (ips) => ips[0] === t.v4(6))).toEqual([t.v4(6)]);
    },
  },
  {
    name: "another loadBalancerClass is ignored: no address, no event",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await t.svc("foreign", { spec: { loadBalancerClass: "example.com/other" } });
      await t.settle();
      expect(await t.ingress("foreign")).toEqual([]);
      expect(await t.events("foreign")).toEqual([]);
    },
  },
  {
    name: "no pool serves the Service: one event, however often it changes",
    async run(t) {
      // A pool exists, for another namespace (with none at all, upstream waits silently).
      await t.pool("elsewhere", {
        addresses: [t.v4Block],
        serviceAllocation: { namespaces: ["elsewhere"] },
      });
      await t.svc("lonely");
      await t.waitEvent("lonely", "AllocationFailed");
      for (let i = 0; i < 5; i++)
        await t.patchSvc("lonely", { metadata: { labels: { n: `${i}` } } });
      await t.settle();
      const failed = (await t.events("lonely")).filter((e) => e.reason === "AllocationFailed");
      expect(failed).toHaveLength(1);
      expect(failed[0]?.count ?? 1).toBe(1);
    },
  },
  {
    name: "a deleted Service frees its address for the next one",
    async run(t) {
      await t.pool("p", { addresses: [`${t.v4(0)}/32`] });
      await t.svc("a");
      await t.waitIngress("a");
      await core.deleteNamespacedService({ name: "a", namespace: t.ns });
      await t.svc("b");
      expect(await t.waitIngress("b")).toEqual([t.v4(0)]);
    },
  },
  {
    name: "a burst of Services gets distinct addresses, lowest first",
    async run(t) {
      await t.pool("p", { addresses: [t.v4Block] });
      await Promise.all(["a", "b", "c", "d", "e", "f"].map((n) => t.svc(n)));
      const got = await Promise.all(["a", "b", "c", "d", "e", "f"].map((n) => t.waitIngress(n)));
      expect(new Set(got.flat()).size).toBe(6);
      expect(got.flat().sort()).toEqual([0, 1, 2, 3, 4, 5].map((k) => t.v4(k)).sort());
    },
  },
];

describe("controller conformance table (real API server, controller RBAC identity)", () => {
  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: CONFIG } } });
    await h.grantControllerRbac(CONFIG);
    metricsPort = await freePort();
    healthPort = await freePort();
    controller = h.startController({
      identity: "table",
      configNamespace: CONFIG,
      lbClass: CLASS,
      metricsPort,
      healthPort,
      logDir,
      // The production default: a loaded CI machine can stall the event loop past a 3 s Lease, and
      // a controller that loses its Lease exits for its kubelet to restart (there is none here).
      leaseDuration: 15,
    });
    void controller.exited.then((code) => (controllerExit = code));
  });

  /** A scenario's failure, with the controller's log when the cause is that it is gone. */
  const explain = (err: unknown): unknown => {
    if (controllerExit === undefined) return err;
    const tail = controller.log().split("\n").slice(-30).join("\n");
    const what = err instanceof Error ? err.message : String(err);
    return new Error(`${what}\nthe controller exited (${controllerExit}); its log ends:\n${tail}`);
  };

  afterAll(async () => {
    await controller?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  SCENARIOS.forEach((s, i) => {
    it(`${i + 1}. ${s.name}`, async () => {
      const t = new T(i);
      const extra = s.namespaces?.(t) ?? {};
      for (const [name, labels] of Object.entries({ [t.ns]: {}, ...extra }))
        await core.createNamespace({ body: { metadata: { name, labels } } });
      try {
        await s.run(t);
      } catch (err) {
        throw explain(err);
      } finally {
        await t.cleanup([t.ns, ...Object.keys(extra)]);
      }
    });
  });

  it("serves /metrics with upstream names, /healthz and /readyz", async () => {
    const get = async (port: number, path: string) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: r.status, text: await r.text() };
    };
    const t = new T(SCENARIOS.length);
    await core.createNamespace({ body: { metadata: { name: t.ns } } });
    const pool = await t.pool("p", { addresses: [t.v4Block] });
    await t.svc("a");
    await t.waitIngress("a");
    const metrics = await waitFor(
      "pool metrics",
      async () => {
        const m = await scrape(`https://127.0.0.1:${metricsPort}/metrics`, adminToken);
        return m.text.includes(`metallb_allocator_addresses_in_use_total{pool="${pool}"} 1`)
          ? m
          : undefined;
      },
      60_000,
    );
    expect(metrics.text).toContain(`metallb_allocator_addresses_total{pool="${pool}"} 8`);
    expect(metrics.text).toContain("metallb_k8s_client_config_loaded_bool 1");
    expect(metrics.text).toContain("metallb_k8s_client_config_stale_bool 0");
    expect(await get(healthPort, "/healthz")).toEqual({ status: 200, text: "ok\n" });
    expect(await get(healthPort, "/readyz")).toEqual({ status: 200, text: "ok\n" });
    expect((await get(healthPort, "/nope")).status).toBe(404);
    await t.cleanup([t.ns]);
  });

  it("serves /metrics only over HTTPS and only to callers the API server authorizes", async () => {
    const url = `https://127.0.0.1:${metricsPort}/metrics`;
    // A scraper's ServiceAccount, bound to exactly the chart's metrics-reader rules.
    const ns = "ctl-table-scraper";
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedServiceAccount({
      namespace: ns,
      body: { metadata: { name: "prom" } },
    });
    const rbac = kubeConfigFor("admin").makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({
      body: { metadata: { name: "ctl-table-metrics-reader" }, rules: METRICS_READER_RULES },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: "ctl-table-metrics-reader" },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: "ctl-table-metrics-reader",
        },
        subjects: [{ kind: "ServiceAccount", name: "prom", namespace: ns }],
      },
    });
    try {
      const token = (
        await core.createNamespacedServiceAccountToken({
          namespace: ns,
          name: "prom",
          body: { spec: { audiences: [], expirationSeconds: 3600 } },
        })
      ).status?.token;
      const prom = await scrape(url, token);
      expect(prom.status).toBe(200);
      expect(prom.text).toContain("metallb_k8s_client_config_loaded_bool 1");
      const none = await scrape(url);
      expect(none.status).toBe(401);
      expect(none.text).toMatch(/Authorization: Bearer/);
      expect((await scrape(url, "not-a-token")).status).toBe(401);
      // The speaker's identity is real, but not allowed to read metrics.
      const speaker = await scrape(url, kubeConfigFor("speaker").getCurrentUser()?.token);
      expect(speaker.status).toBe(403);
      expect(speaker.text).toMatch(/may not get \/metrics.*metrics-reader/);
      // Plain HTTP gets nothing.
      await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
    } finally {
      await rbac.deleteClusterRoleBinding({ name: "ctl-table-metrics-reader" });
      await rbac.deleteClusterRole({ name: "ctl-table-metrics-reader" });
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
    }
  });
});
