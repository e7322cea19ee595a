// The controller's shell against in-memory stores and a recording writer: what it writes, and
// how often, for the situations the kube tests cover against the real API server.
import type { V1Namespace, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { IPAddressPoolSpec } from "../../src/api/kinds/ipaddresspool.js";
import { ANNOTATION } from "../../src/api/service.js";
import { Controller } from "../../src/runtime/controller/controller.js";
import type { ConfigObject } from "../../src/runtime/kube/stores.js";
import { MemoryStore, RecordingWriter, quietLog } from "./fakes/kube.js";

const NS = "metallb-system";

const lb = (name: string, extra: Partial<V1Service> = {}): V1Service => ({
  metadata: { namespace: "apps", name, uid: `uid-${name}`, ...extra.metadata },
  spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }], ...extra.spec },
  ...(extra.status ? { status: extra.status } : {}),
});

const pool = (name: string, addresses: string[]): ConfigObject<IPAddressPoolSpec> => ({
  apiVersion: "metallb.io/v1beta1",
  kind: "IPAddressPool",
  metadata: { namespace: NS, name, uid: `uid-${name}` },
  spec: { addresses },
});

function cluster(services: V1Service[], pools: ConfigObject<IPAddressPoolSpec>[]) {
  const stores = {
    services: new MemoryStore<V1Service>(services),
    namespaces: new MemoryStore<V1Namespace>([{ metadata: { name: "apps" } }]),
    pools: new MemoryStore<ConfigObject<IPAddressPoolSpec>>(pools),
  };
  const writer = new RecordingWriter(stores.services);
  const ctl = new Controller({ stores, writer, namespace: NS, log: quietLog });
  return { stores, writer, ctl };
}

/** Until the controller has nothing queued and every write has come back through the store. */
async function settle(ctl: Controller, writer: RecordingWriter): Promise<void> {
  for (;;) {
    await ctl.idle();
    await writer.delivered();
    await new Promise((r) => setTimeout(r, 10));
    if (!ctl.busy() && !writer.busy()) return;
  }
}

const serviceWrites = (w: RecordingWriter, key: string) =>
  w.writes.filter((x) => "service" in x && x.service === key);

describe("controller shell", () => {
  it("assigns the lowest address with one ingress write, one annotation write and one event", async () => {
    const { writer, ctl, stores } = cluster([lb("a")], [pool("p", ["192.0.2.0/30"])]);
    await ctl.start();
    await settle(ctl, writer);
    expect(serviceWrites(writer, "apps/a")).toEqual([
      { op: "ingress", service: "apps/a", ips: ["192.0.2.0"] },
      {
        op: "annotations",
        service: "apps/a",
        annotations: { [ANNOTATION.allocatedFromPool]: "p" },
      },
    ]);
    expect(writer.reasons("Service")).toEqual(["IPAllocated"]);
    expect(stores.services.get("a", "apps")?.status?.loadBalancer?.ingress).toEqual([
      { ip: "192.0.2.0" },
    ]);
    expect(writer.status("IPAddressPool", "p")).toMatchObject({
      assignedIPv4: 1,
      availableIPv4: 3,
      conditions: [{ type: "Valid", status: "True", reason: "Valid" }],
    });
    expect(writer.status("ConfigurationState", "controller")).toMatchObject({
      result: "Valid",
      conditions: [{ type: "Valid", status: "True" }],
    });
    await ctl.stop();
  });

  it("a restart keeps recorded addresses and writes nothing for them", async () => {
    const recorded = lb("a", {
      metadata: { name: "a", annotations: { [ANNOTATION.allocatedFromPool]: "p" } },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.2" }] } },
    });
    const { writer, ctl } = cluster([recorded, lb("b")], [pool("p", ["192.0.2.0/30"])]);
    await ctl.start();
    await settle(ctl, writer);
    expect(serviceWrites(writer, "apps/a")).toEqual([]);
    expect(serviceWrites(writer, "apps/b")[0]).toEqual({
      op: "ingress",
      service: "apps/b",
      ips: ["192.0.2.0"],
    });
    await ctl.stop();
  });

  it("reports overlapping pools on both pools and in an Invalid ConfigurationState", async () => {
    const { writer, ctl } = cluster(
      [],
      [pool("main", ["192.0.2.0/29"]), pool("extra", ["192.0.2.4/30"])],
    );
    await ctl.start();
    await settle(ctl, writer);
    expect(writer.reasons("IPAddressPool").sort()).toEqual([
      "InvalidConfiguration",
      "InvalidConfiguration",
    ]);
    const valid = (name: string) =>
      writer.status<{ conditions: { status: string; message: string }[] }>("IPAddressPool", name)
        ?.conditions[0];
    expect(valid("extra")?.status).toBe("False");
    expect(valid("extra")?.message).toContain("192.0.2.4-192.0.2.7 overlaps 192.0.2.0-192.0.2.7");
    expect(valid("main")?.status).toBe("False");
    const state = writer.status<{ result: string; errorSummary: string; conditions: object[] }>(
      "ConfigurationState",
      "controller",
    );
    expect(state?.result).toBe("Invalid");
    expect(state?.errorSummary.split("\n")).toHaveLength(2);
    expect(state?.conditions).toMatchObject([{ status: "False", reason: "InvalidConfiguration" }]);
    await ctl.stop();
  });

  it("keeps a recorded address while no pool has arrived; clears it silently once every pool is deleted", async () => {
    const recorded = lb("a", { status: { loadBalancer: { ingress: [{ ip: "192.0.2.2" }] } } });
    const { writer, ctl, stores } = cluster([recorded], []);
    await ctl.start();
    await settle(ctl, writer);
    expect(serviceWrites(writer, "apps/a")).toEqual([]);
    // No pool at all: Services wait without an event each, as upstream's do.
    expect(writer.reasons("Service")).toEqual([]);
    stores.pools.set(pool("p", ["192.0.2.0/30"]));
    await settle(ctl, writer);
    expect(serviceWrites(writer, "apps/a")).toEqual([
      {
        op: "annotations",
        service: "apps/a",
        annotations: { [ANNOTATION.allocatedFromPool]: "p" },
      },
    ]);
    stores.pools.delete("p", NS);
    await settle(ctl, writer);
    expect(serviceWrites(writer, "apps/a").slice(1)).toEqual([
      { op: "ingress", service: "apps/a", ips: [] },
      {
        op: "annotations",
        service: "apps/a",
        annotations: { [ANNOTATION.allocatedFromPool]: null },
      },
    ]);
    // Every pool deleted: cleared without an event storm (upstream: no event at all).
    expect(writer.reasons("Service")).toEqual([]);
    await ctl.stop();
  });

  it("an address its pool lost: a Normal ClearAssignment, then the new address (upstream's order)", async () => {
    const { writer, ctl, stores } = cluster([lb("a")], [pool("p", ["192.0.2.0/30"])]);
    await ctl.start();
    await settle(ctl, writer);
    stores.pools.set(pool("p", ["192.0.2.4/30"]));
    await settle(ctl, writer);
    const events = writer.events.filter((e) => e.ref.kind === "Service");
    expect(events.map((e) => [e.type, e.reason])).toEqual([
      ["Normal", "IPAllocated"],
      ["Normal", "ClearAssignment"],
      ["Normal", "IPAllocated"],
    ]);
    expect(events[1]?.message).toContain("192.0.2.0 is not allowed by any IPAddressPool");
    expect(serviceWrites(writer, "apps/a").at(-1)).toEqual({
      op: "ingress",
      service: "apps/a",
      ips: ["192.0.2.4"],
    });
    await ctl.stop();
  });

  it("a request changed by the Service itself moves it without a ClearAssignment", async () => {
    const { writer, ctl, stores } = cluster([lb("a")], [pool("p", ["192.0.2.0/30"])]);
    await ctl.start();
    await settle(ctl, writer);
    const current = stores.services.get("a", "apps") as V1Service;
    stores.services.set({
      ...current,
      metadata: { ...current.metadata, annotations: { [ANNOTATION.loadBalancerIPs]: "192.0.2.3" } },
    });
    await settle(ctl, writer);
    const events = writer.events.filter((e) => e.ref.kind === "Service");
    expect(events.map((e) => e.reason)).toEqual(["IPAllocated", "IPAllocated"]);
    await ctl.stop();
  });

  it("a holder whose request turns malformed keeps its address with a LoadBalancerFailed Warning", async () => {
    const { writer, ctl, stores } = cluster([lb("a")], [pool("p", ["192.0.2.0/30"])]);
    await ctl.start();
    await settle(ctl, writer);
    const current = stores.services.get("a", "apps") as V1Service;
    stores.services.set({
      ...current,
      metadata: { ...current.metadata, annotations: { [ANNOTATION.loadBalancerIPs]: "nope" } },
    });
    await settle(ctl, writer);
    const events = writer.events.filter((e) => e.ref.kind === "Service");
    expect(events.map((e) => [e.type, e.reason])).toEqual([
      ["Normal", "IPAllocated"],
      ["Warning", "LoadBalancerFailed"],
    ]);
    expect(stores.services.get("a", "apps")?.status?.loadBalancer?.ingress).toEqual([
      { ip: "192.0.2.0" },
    ]);
    await ctl.stop();
  });

  it("type LoadBalancer → ClusterIP: address and pool annotation taken off, no event", async () => {
    const { writer, ctl, stores } = cluster([lb("a")], [pool("p", ["192.0.2.0/30"])]);
    await ctl.start();
    await settle(ctl, writer);
    const current = stores.services.get("a", "apps") as V1Service;
    stores.services.set({ ...current, spec: { ...current.spec, type: "ClusterIP" } });
    await settle(ctl, writer);
    expect(
      serviceWrites(writer, "apps/a").slice(2),
      JSON.stringify(serviceWrites(writer, "apps/a")),
    ).toEqual([
      { op: "ingress", service: "apps/a", ips: [] },
      {
        op: "annotations",
        service: "apps/a",
        annotations: { [ANNOTATION.allocatedFromPool]: null },
      },
    ]);
    expect(writer.events.filter((e) => e.ref.kind === "Service")).toHaveLength(1);
    await ctl.stop();
  });

  it("refuses a malformed request with an AllocationFailed Warning and no write", async () => {
    const bad = lb("bad", {
      metadata: { name: "bad", annotations: { [ANNOTATION.loadBalancerIPs]: "192.0.2.999" } },
    });
    const { writer, ctl } = cluster([bad], [pool("p", ["192.0.2.0/30"])]);
    await ctl.start();
    await settle(ctl, writer);
    expect(serviceWrites(writer, "apps/bad")).toEqual([]);
    const events = writer.events.filter((e) => e.ref.kind === "Service");
    expect(events.map((e) => [e.type, e.reason])).toEqual([["Warning", "AllocationFailed"]]);
    expect(events[0]?.message).toContain('"192.0.2.999" is not an IP address');
    await ctl.stop();
  });
});
