// GitOps applies objects in its own order: a controller that starts before any IPAddressPool
// exists must not take away the addresses Services already hold, and must give them back the
// same addresses once the pools arrive. Own configuration namespace and loadBalancerClass, so
// the other suites sharing this API server are not disturbed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor, type Managed } from "../../src/sys/proc.js";
import { sharedHarness } from "./shared-harness.js";

const h = sharedHarness();
const SYSTEM = "late-system";
const NS = "late-apps";
const CLASS = "metallb-ts.test/late";
const logDir = mkdtempSync(join(tmpdir(), "metallb-ts-late-"));
const RECORDED: Record<string, string> = {
  a: "198.51.100.5",
  b: "198.51.100.9",
  c: "198.51.100.2",
};
let controller: Managed | undefined;

const poolOf = async (name: string) =>
  (await h.core.readNamespacedService({ name, namespace: NS })).metadata?.annotations?.[
    "metallb.io/ip-allocated-from-pool"
  ];

beforeAll(async () => {
  for (const name of [SYSTEM, NS]) await h.core.createNamespace({ body: { metadata: { name } } });
  await h.grantControllerRbac(SYSTEM);
  // Services as a previous controller left them: each with its address in status.
  for (const [name, ip] of Object.entries(RECORDED)) {
    await h.lbService(NS, name, { spec: { loadBalancerClass: CLASS } });
    await h.core.patchNamespacedServiceStatus({
      name,
      namespace: NS,
      body: [{ op: "add", path: "/status/loadBalancer", value: { ingress: [{ ip }] } }],
    });
  }
  controller = h.startController({
    identity: "late",
    configNamespace: SYSTEM,
    lbClass: CLASS,
    logDir,
  });
});

afterAll(async () => {
  await controller?.stop();
  rmSync(logDir, { recursive: true, force: true });
});

describe("pools that arrive after the controller", () => {
  it("with no pool at all, the recorded addresses stay, without an event per Service (upstream is silent)", async () => {
    // The controller has synced once its ConfigurationState exists.
    await waitFor(
      "the controller's ConfigurationState",
      () =>
        h.custom
          .getNamespacedCustomObject({
            group: "metallb.io",
            version: "v1beta1",
            namespace: SYSTEM,
            plural: "configurationstates",
            name: "controller",
          })
          .then(() => true)
          .catch(() => undefined),
      60_000,
    );
    for (const name of Object.keys(RECORDED)) {
      expect(await h.ingress(NS, name)).toEqual([RECORDED[name]]);
      expect(await h.events(NS, name)).toEqual([]);
    }
  });

  it("once a pool holds them, each Service gets its recorded address back, not the lowest free", async () => {
    await h.createPool(SYSTEM, "late", { addresses: ["198.51.100.0/28"] });
    for (const [name, ip] of Object.entries(RECORDED)) {
      await waitFor(
        `${name} to be served from pool late`,
        async () => ((await poolOf(name)) === "late" ? true : undefined),
        60_000,
      );
      expect(await h.ingress(NS, name)).toEqual([ip]);
    }
    await h.lbService(NS, "new", { spec: { loadBalancerClass: CLASS } });
    expect(await h.waitIngress(NS, "new")).toEqual(["198.51.100.0"]);
  });

  it("deleting the pool (pools existed before) clears the addresses, as upstream", async () => {
    await h.custom.deleteNamespacedCustomObject({
      group: "metallb.io",
      version: "v1beta1",
      namespace: SYSTEM,
      plural: "ipaddresspools",
      name: "late",
    });
    expect(await h.waitIngress(NS, "a", (ips) => ips.length === 0)).toEqual([]);
    // Every pool gone: cleared without a ClearAssignment storm, as upstream.
    expect((await h.events(NS, "a")).some((e) => e.reason === "ClearAssignment")).toBe(false);
  });
});
