// One write per change: the controller's requests to the API server, counted from the API
// server's own audit log (its own cluster, so that no other suite's controller is counted). Each
// new Service costs exactly one status write and one annotation write; a change that does not
// touch the allocation, and a controller restart, cost none.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LabCluster } from "../../src/lab/cluster.js";
import { RUNTIME_NAMESPACE } from "../../src/lab/kube/identities.js";
import { Cleanup } from "../../src/sys/cleanup.js";
import { waitFor, type Managed } from "../../src/sys/proc.js";
import { mapBounded } from "../../src/lib/bounded.js";

const NS = "writes";
const N = 60;
const CONTROLLER_USER = `system:serviceaccount:${RUNTIME_NAMESPACE}:controller`;
const ANNOTATION = "metallb.io/ip-allocated-from-pool";
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const names = Array.from({ length: N }, (_, i) => `s${String(i).padStart(2, "0")}`);

const stack = new Cleanup();
const logDir = mkdtempSync(join(tmpdir(), "metallb-ts-writes-"));
let c: LabCluster;
let controller: Managed;
let generation = 0;

const startController = () =>
  c.harness.startController({
    identity: `writes-${generation++}`,
    configNamespace: RUNTIME_NAMESPACE,
    leaseDuration: 15,
    logDir,
  });

/** The controller's requests on Services of NS, as "verb resource[/subresource]" → count. */
function controllerWrites(): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(c.env.auditLog ?? "", "utf8").split("\n")) {
    if (!line.includes(CONTROLLER_USER)) continue;
    const e = JSON.parse(line) as {
      user?: { username?: string };
      verb?: string;
      objectRef?: { resource?: string; subresource?: string; namespace?: string };
    };
    const ref = e.objectRef;
    if (e.user?.username !== CONTROLLER_USER || ref?.namespace !== NS) continue;
    if (!["create", "update", "patch", "delete"].includes(e.verb ?? "")) continue;
    const key = `${e.verb} ${ref.resource}${ref.subresource ? `/${ref.subresource}` : ""}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

const service = (name: string, labels: Record<string, string> = {}) => ({
  metadata: { name, labels },
  spec: {
    type: "LoadBalancer",
    ipFamilies: ["IPv6"],
    ipFamilyPolicy: "SingleStack",
    allocateLoadBalancerNodePorts: false,
    ports: [{ port: 80, protocol: "TCP" }],
    selector: { app: name },
  },
});

/** Every Service of NS has an address and the pool annotation. */
async function allAssigned(): Promise<void> {
  await waitFor(
    "every Service's address and pool annotation",
    async () => {
      const items = (await c.core.listNamespacedService({ namespace: NS })).items;
      return items.length === N &&
        items.every(
          (s) => s.status?.loadBalancer?.ingress?.length && s.metadata?.annotations?.[ANNOTATION],
        )
        ? true
        : undefined;
    },
    120_000,
  );
}

/**
 * Proves the controller has processed everything before it: a marker Service created now (sorted
 * after the others in its queue) gets its address. The marker lives in another namespace, so its
 * own writes are not counted.
 */
async function settle(marker: string): Promise<void> {
  await c.core.createNamespacedService({ namespace: "writes-marker", body: service(marker) });
  await waitFor(
    `marker ${marker}`,
    async () =>
      (await c.core.readNamespacedService({ name: marker, namespace: "writes-marker" })).status
        ?.loadBalancer?.ingress?.length
        ? true
        : undefined,
    120_000,
  );
}

describe("controller API writes (audit log of a real API server)", () => {
  beforeAll(async () => {
    c = await LabCluster.start(stack, { audit: true, namespaces: [NS, "writes-marker"] });
    await c.harness.createPool(RUNTIME_NAMESPACE, "p", { addresses: ["2001:db8:77::/112"] });
    controller = startController();
    await mapBounded(names, 50, (n) =>
      c.core.createNamespacedService({ namespace: NS, body: service(n) }),
    );
    await allAssigned();
    await settle("m0");
  });

  afterAll(async () => {
    await controller?.stop();
    await stack.close();
    rmSync(logDir, { recursive: true, force: true });
  });

  it("a new Service costs one status write and one annotation write, and one IPAllocated event", async () => {
    expect(Object.fromEntries(controllerWrites())).toEqual({
      "patch services/status": N,
      "patch services": N,
      "create events": N,
    });
    const events = (await c.core.listNamespacedEvent({ namespace: NS })).items;
    expect(events.filter((e) => e.reason === "IPAllocated")).toHaveLength(N);
  });

  it("a change that does not touch the allocation writes nothing", async () => {
    const before = Object.fromEntries(controllerWrites());
    await mapBounded(names, 10, (n) =>
      c.core.patchNamespacedService(
        { name: n, namespace: NS, body: { metadata: { labels: { touched: "yes" } } } },
        mergePatch,
      ),
    );
    await settle("m1");
    expect(Object.fromEntries(controllerWrites())).toEqual(before);
  });

  it("a restarted controller writes nothing for Services that already hold their addresses", async () => {
    const before = Object.fromEntries(controllerWrites());
    await controller.stop();
    controller = startController();
    await settle("m2");
    expect(Object.fromEntries(controllerWrites())).toEqual(before);
  });
});
