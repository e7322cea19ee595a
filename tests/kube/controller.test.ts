// The controller as a real process, under its least-privilege RBAC identity, against the real
// API server, with the configuration in metallb-system and no loadBalancerClass: pools that serve
// every namespace, restarts and leader election. The per-input table is controller-table.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor, type Managed } from "../../src/sys/proc.js";
import type { ServiceShape } from "../../src/lab/kube/harness.js";
import { sharedHarness } from "./shared-harness.js";

const h = sharedHarness();

const NS = "ctl-conformance";
const SYSTEM = "metallb-system";
const { core, custom } = h;
const logDir = mkdtempSync(join(tmpdir(), "metallb-ts-controller-"));

let controller: Managed;
let started = 0;
const startController = (identity = `controller-${started++}`) =>
  h.startController({ identity, configNamespace: SYSTEM, logDir });
const createPool = (name: string, spec: object) => h.createPool(SYSTEM, name, spec);
const lbService = (name: string, extra: ServiceShape = {}) => h.lbService(NS, name, extra);
const ingress = (name: string) => h.ingress(NS, name);
const waitIngress = (name: string) => h.waitIngress(NS, name);
const events = (name: string) => h.events(NS, name);
const waitEvent = (name: string, reason: string) => h.waitEvent(NS, name, reason);

describe("controller conformance (real API server, controller RBAC identity)", () => {
  beforeAll(async () => {
    await h.grantControllerRbac(SYSTEM);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await createPool("ctl-main", { addresses: ["203.0.113.0/29"] });
    await createPool("ctl-manual", { addresses: ["203.0.113.64/30"], autoAssign: false });
    controller = startController();
  });

  afterAll(async () => {
    await controller?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it("assigns the lowest free IP, annotates the pool, records IPAllocated", async () => {
    await lbService("first");
    expect(await waitIngress("first")).toEqual(["203.0.113.0"]);
    const svc = await core.readNamespacedService({ name: "first", namespace: NS });
    await waitFor(
      "pool annotation",
      async () =>
        (await core.readNamespacedService({ name: "first", namespace: NS })).metadata
          ?.annotations?.["metallb.io/ip-allocated-from-pool"] === "ctl-main"
          ? true
          : undefined,
      60_000,
    );
    expect(svc.status?.loadBalancer?.ingress).toHaveLength(1);
    expect((await waitEvent("first", "IPAllocated")).message).toContain("203.0.113.0");
  });

  it("honours metallb.io/loadBalancerIPs", async () => {
    await lbService("requested", { annotations: { "metallb.io/loadBalancerIPs": "203.0.113.5" } });
    expect(await waitIngress("requested")).toEqual(["203.0.113.5"]);
  });

  it("honours the deprecated annotation with a Warning event", async () => {
    await lbService("legacy", {
      annotations: { "metallb.universe.tf/loadBalancerIPs": "203.0.113.6" },
    });
    expect(await waitIngress("legacy")).toEqual(["203.0.113.6"]);
    const ev = await waitEvent("legacy", "deprecatedAnnotation");
    expect(ev.type).toBe("Warning");
    expect(ev.message).toContain("metallb.universe.tf/loadBalancerIPs");
  });

  it("uses an autoAssign:false pool only when asked by name", async () => {
    await lbService("manual", { annotations: { "metallb.io/address-pool": "ctl-manual" } });
    expect(await waitIngress("manual")).toEqual(["203.0.113.64"]);
  });

  it("refuses an IP outside every pool with a Warning naming Service and input", async () => {
    await lbService("outside", { annotations: { "metallb.io/loadBalancerIPs": "192.0.2.77" } });
    const ev = await waitEvent("outside", "AllocationFailed");
    expect(ev.type).toBe("Warning");
    expect(ev.message).toContain(`${NS}/outside`);
    expect(ev.message).toContain("192.0.2.77");
    expect(await ingress("outside")).toEqual([]);
  });

  it("shares an IP between Services with the same key and disjoint ports", async () => {
    const share = { "metallb.io/allow-shared-ip": "dns" };
    await lbService("dns-tcp", {
      annotations: share,
      spec: { ports: [{ port: 53, protocol: "TCP" }], selector: { app: "dns" } },
    });
    const ip = await waitIngress("dns-tcp");
    await lbService("dns-udp", {
      annotations: share,
      spec: { ports: [{ port: 53, protocol: "UDP" }], selector: { app: "dns" } },
    });
    expect(await waitIngress("dns-udp")).toEqual(ip);
  });

  it("leaves other Services alone: ClusterIP and foreign loadBalancerClass", async () => {
    await core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: "plain" }, spec: { ports: [{ port: 80 }] } },
    });
    await lbService("foreign", { spec: { loadBalancerClass: "example.com/other" } });
    await lbService("marker");
    await waitIngress("marker"); // processed after the two above
    expect(await ingress("foreign")).toEqual([]);
    // Who said what, should anything have: which component, about which kind of object.
    const said = (await events("foreign")).map(
      (e) => `${e.source?.component}: ${e.involvedObject.kind} ${e.reason} ${e.message}`,
    );
    expect(said).toEqual([]);
  });

  it("keeps waiting Services pending, then serves them as soon as an address frees up", async () => {
    // ctl-main has 8 addresses; fill what is left
    const used = new Set<string>();
    for (const s of (await core.listNamespacedService({ namespace: NS })).items)
      for (const i of s.status?.loadBalancer?.ingress ?? []) used.add(i.ip ?? "");
    const free =
      8 -
      [...used].filter((ip) => ip.startsWith("203.0.113.") && Number(ip.split(".")[3]) < 8).length;
    for (let i = 0; i < free; i++) await lbService(`fill-${i}`);
    for (let i = 0; i < free; i++) await waitIngress(`fill-${i}`);
    await lbService("waiting");
    const ev = await waitEvent("waiting", "AllocationFailed");
    expect(ev.message).toContain("no free IPv4 address");
    const [freed] = await ingress("fill-0");
    await core.deleteNamespacedService({ name: "fill-0", namespace: NS });
    expect(await waitIngress("waiting")).toEqual([freed]);
  });

  it("reports pool usage in the IPAddressPool status", async () => {
    const status = await waitFor(
      "ctl-main status shows it full",
      async () => {
        const pool = (await custom.getNamespacedCustomObject({
          group: "metallb.io",
          version: "v1beta1",
          namespace: SYSTEM,
          plural: "ipaddresspools",
          name: "ctl-main",
        })) as { status?: Record<string, number> };
        return pool.status?.assignedIPv4 === 8 ? pool.status : undefined;
      },
      60_000,
    );
    expect(status).toMatchObject({
      assignedIPv4: 8,
      assignedIPv6: 0,
      availableIPv4: 0,
      availableIPv6: 0,
    });
  });

  it("reports overlapping pools as conditions, events and an Invalid ConfigurationState — no webhook", async () => {
    const getObj = (plural: string, name: string) =>
      custom.getNamespacedCustomObject({
        group: "metallb.io",
        version: "v1beta1",
        namespace: SYSTEM,
        plural,
        name,
      }) as Promise<{
        status?: {
          conditions?: { type: string; status: string; message: string }[];
          result?: string;
          errorSummary?: string;
        };
      }>;
    const validOf = async (pool: string) =>
      (await getObj("ipaddresspools", pool)).status?.conditions?.find((c) => c.type === "Valid");
    expect((await validOf("ctl-main"))?.status).toBe("True");
    await createPool("ctl-overlap", { addresses: ["203.0.113.4/30"] });
    const cond = await waitFor(
      "ctl-overlap Valid=False",
      async () =>
        (await validOf("ctl-overlap"))?.status === "False" ? validOf("ctl-overlap") : undefined,
      60_000,
    );
    expect(cond?.message).toContain(
      "203.0.113.4-203.0.113.7 overlaps 203.0.113.0-203.0.113.7 of IPAddressPool ctl-main",
    );
    expect((await validOf("ctl-main"))?.status).toBe("False");
    const state = await getObj("configurationstates", "controller");
    expect(state.status?.result).toBe("Invalid");
    expect(state.status?.errorSummary).toContain("IPAddressPool ctl-overlap:");
    const events = (
      await core.listNamespacedEvent({
        namespace: SYSTEM,
        fieldSelector: "involvedObject.name=ctl-overlap",
      })
    ).items;
    expect(events.map((e) => [e.type, e.reason])).toContainEqual([
      "Warning",
      "InvalidConfiguration",
    ]);
    await custom.deleteNamespacedCustomObject({
      group: "metallb.io",
      version: "v1beta1",
      namespace: SYSTEM,
      plural: "ipaddresspools",
      name: "ctl-overlap",
    });
    await waitFor(
      "ConfigurationState Valid again",
      async () =>
        (await getObj("configurationstates", "controller")).status?.result === "Valid"
          ? true
          : undefined,
      60_000,
    );
    expect((await validOf("ctl-main"))?.status).toBe("True");
  });

  it("a SIGKILLed controller restarts without moving or duplicating any IP", async () => {
    const snapshot = async (): Promise<Record<string, string>> => {
      const items = (await core.listNamespacedService({ namespace: NS })).items;
      return Object.fromEntries(
        items.map((s): [string, string] => [
          s.metadata?.name ?? "",
          (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(","),
        ]),
      );
    };
    const before = await snapshot();
    process.kill(controller.pid, "SIGKILL");
    await controller.exited;
    controller = startController();
    await core.deleteNamespacedService({ name: "first", namespace: NS });
    await lbService("after-restart");
    const ip = await waitIngress("after-restart");
    const after = await snapshot();
    delete before.first;
    delete after["after-restart"];
    expect(after).toEqual(before);
    expect(ip).toEqual(["203.0.113.0"]); // the address "first" freed, not one held by another
  });

  it("HA: a standby writes nothing, then takes over within the Lease duration when the leader dies", async () => {
    const standby = startController("standby");
    try {
      await waitFor(
        "standby campaigning",
        () => Promise.resolve(standby.log().includes("campaigning") ? true : undefined),
        60_000,
      );
      await new Promise((r) => setTimeout(r, 2000));
      expect(standby.log()).not.toContain("became leader");
      process.kill(controller.pid, "SIGKILL");
      await controller.exited;
      await waitFor(
        "standby becomes leader",
        () => Promise.resolve(standby.log().includes("became leader") ? true : undefined),
        60_000,
      );
      const manual = { annotations: { "metallb.io/address-pool": "ctl-manual" } }; // ctl-main is full
      await lbService("after-failover", manual);
      expect(await waitIngress("after-failover")).toHaveLength(1);
      // SIGTERM hands the Lease over at once instead of waiting for it to expire
      controller = startController("successor");
      await waitFor(
        "successor campaigning",
        () => Promise.resolve(controller.log().includes("campaigning") ? true : undefined),
        60_000,
      );
      await standby.stop();
      await waitFor(
        "successor becomes leader",
        () => Promise.resolve(controller.log().includes("became leader") ? true : undefined),
        60_000,
      );
      await lbService("after-handover", manual);
      expect(await waitIngress("after-handover")).toHaveLength(1);
    } finally {
      await standby.stop();
    }
  });
});
