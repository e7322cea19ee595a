// Addresses reserved for Gateways, end to end short of Envoy Gateway itself: the chart renders
// the reservation pools from values `gateways[]` (the same objects as the model's
// gatewayReservationPool), the API server accepts them, and the controller — a real process with
// its RBAC identity — gives a Gateway's Service (shaped as Envoy Gateway generates it) its
// reserved addresses without asking, refuses them to a tenant naming the Gateway, gives them back
// after the Gateway is re-created, and treats Gateway.spec.addresses (the Service's externalIPs)
// as the Gateway's request. Own configuration namespace and loadBalancerClass.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ENVOY_GATEWAY_LABEL, RESERVED_FROM_LABEL } from "../../src/api/gateway.js";
import { gatewayReservationPool } from "../../src/model/reservation.js";
import type { KubeObject } from "../../src/gitops/tools/helm.js";
import { waitFor, type Managed } from "../../src/sys/proc.js";
import { render } from "./chart-helpers.js";
import { sharedHarness } from "./shared-harness.js";

const h = sharedHarness();
const SYSTEM = "gw-system";
const ENVOY_NS = "gw-envoy";
const TENANT = "gw-tenant";
const CLASS = "metallb-ts.test/gateway";
const logDir = mkdtempSync(join(tmpdir(), "metallb-ts-gateway-"));
const GATEWAYS = [
  {
    name: "public",
    namespace: "infra",
    addresses: ["203.0.113.10", "2001:db8:100::10"],
    pool: "lan",
  },
  { name: "internal", namespace: "infra", addresses: ["203.0.113.11"], pool: "lan" },
];
const values = {
  config: {
    ipAddressPools: [
      { name: "lan", spec: { addresses: ["203.0.113.0/26", "2001:db8:100::/120"] } },
      { name: "spare", spec: { addresses: ["192.0.2.64/28"], autoAssign: false } },
    ],
    l2Advertisements: [{ name: "lan", spec: { ipAddressPools: ["lan", "spare"] } }],
  },
  gateways: GATEWAYS,
  envoyGateway: { namespace: ENVOY_NS },
};
let rendered: KubeObject[] = [];
let controller: Managed | undefined;

/** A Gateway's Service as Envoy Gateway generates it (name with a hash, its labels, Local). */
const envoyService = (
  gateway: string,
  opts: { hash?: string; dual?: boolean; externalIPs?: string[] } = {},
) =>
  h.lbService(ENVOY_NS, `envoy-infra-${gateway}-${opts.hash ?? "1a2b3c4d"}`, {
    labels: {
      "app.kubernetes.io/component": "proxy",
      "app.kubernetes.io/managed-by": "envoy-gateway",
      "app.kubernetes.io/name": "envoy",
      [ENVOY_GATEWAY_LABEL.name]: gateway,
      [ENVOY_GATEWAY_LABEL.namespace]: "infra",
    },
    spec: {
      loadBalancerClass: CLASS,
      externalTrafficPolicy: "Local",
      ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 10443 }],
      ...(opts.dual ? { ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4", "IPv6"] } : {}),
      ...(opts.externalIPs ? { externalIPs: opts.externalIPs } : {}),
    },
  });

/** The Service's metallb.io/AddressesAssigned condition, once written. */
const addressesCondition = (name: string) =>
  waitFor(
    `${name}'s AddressesAssigned condition`,
    async () =>
      (await h.core.readNamespacedService({ namespace: ENVOY_NS, name })).status?.conditions?.find(
        (c) => c.type === "metallb.io/AddressesAssigned",
      ),
    60_000,
  );

beforeAll(async () => {
  for (const name of [SYSTEM, ENVOY_NS, TENANT])
    await h.core.createNamespace({ body: { metadata: { name } } });
  await h.grantControllerRbac(SYSTEM);
  const file = join(logDir, "values.yaml");
  writeFileSync(file, stringify(values));
  rendered = (await render(SYSTEM, [file])).filter((o) => o.apiVersion.startsWith("metallb.io/"));
  for (const o of rendered) {
    const plural = o.kind === "IPAddressPool" ? "ipaddresspools" : "l2advertisements";
    await h.custom.createNamespacedCustomObject({
      group: "metallb.io",
      version: "v1beta1",
      namespace: SYSTEM,
      plural,
      body: o,
    });
  }
  controller = h.startController({
    identity: "gateway-controller",
    configNamespace: SYSTEM,
    lbClass: CLASS,
    logDir,
  });
});

afterAll(async () => {
  await controller?.stop();
  rmSync(logDir, { recursive: true, force: true });
});

describe("addresses reserved for Gateways", () => {
  it("renders one reservation pool per Gateway, the model's own object, accepted by the API server", () => {
    const pools = rendered.filter((o) => o.metadata.name.startsWith("gateway."));
    expect(pools.map((p) => p.metadata.name)).toEqual([
      "gateway.infra.public",
      "gateway.infra.internal",
    ]);
    GATEWAYS.forEach((g, i) => {
      const want = gatewayReservationPool(g, ENVOY_NS);
      expect(pools[i]?.metadata.name).toBe(want.name);
      expect(pools[i]?.metadata.labels?.[RESERVED_FROM_LABEL]).toBe("lan");
      expect(pools[i]?.spec).toEqual(want.spec);
    });
  });

  it("gives a Gateway's Service its reserved addresses without asking, in both families", async () => {
    await envoyService("public", { dual: true });
    expect(await h.waitIngress(ENVOY_NS, "envoy-infra-public-1a2b3c4d")).toEqual([
      "203.0.113.10",
      "2001:db8:100::10",
    ]);
    const svc = await h.core.readNamespacedService({
      namespace: ENVOY_NS,
      name: "envoy-infra-public-1a2b3c4d",
    });
    expect(svc.metadata?.annotations?.["metallb.io/ip-allocated-from-pool"]).toBe(
      "gateway.infra.public",
    );
  });

  it("never hands a reserved address to anyone else: not automatically, not on request", async () => {
    for (let i = 0; i < 12; i++)
      await h.lbService(TENANT, `auto-${i}`, { spec: { loadBalancerClass: CLASS } });
    const got = await Promise.all(
      Array.from({ length: 12 }, (_, i) => h.waitIngress(TENANT, `auto-${i}`)),
    );
    const flat = got.flat();
    expect(flat).not.toContain("203.0.113.10");
    expect(flat).not.toContain("203.0.113.11");
    expect(new Set(flat).size).toBe(12);

    await h.lbService(TENANT, "steal", {
      annotations: { "metallb.io/loadBalancerIPs": "203.0.113.11" },
      spec: { loadBalancerClass: CLASS },
    });
    const ev = await h.waitEvent(TENANT, "steal", "AllocationFailed");
    expect(ev.message).toBe(
      'Failed to allocate IP for "gw-tenant/steal": cannot assign 203.0.113.11: 203.0.113.11 is reserved from lan for Gateway infra/internal (pool gateway.infra.internal); this Service is not that Gateway\'s',
    );
    // Copying Envoy Gateway's labels outside its namespace does not help either.
    await h.lbService(TENANT, "forged", {
      labels: { [ENVOY_GATEWAY_LABEL.name]: "internal", [ENVOY_GATEWAY_LABEL.namespace]: "infra" },
      annotations: { "metallb.io/loadBalancerIPs": "203.0.113.11" },
      spec: { loadBalancerClass: CLASS },
    });
    expect((await h.waitEvent(TENANT, "forged", "AllocationFailed")).message).toMatch(
      /reserved from lan for Gateway infra\/internal/,
    );
    expect(await h.ingress(TENANT, "steal")).toEqual([]);
  });

  it("gives the same address back when the Gateway is re-created (a new Service name)", async () => {
    await envoyService("internal", { hash: "aaaa1111" });
    expect(await h.waitIngress(ENVOY_NS, "envoy-infra-internal-aaaa1111")).toEqual([
      "203.0.113.11",
    ]);
    await h.core.deleteNamespacedService({
      namespace: ENVOY_NS,
      name: "envoy-infra-internal-aaaa1111",
    });
    await envoyService("internal", { hash: "bbbb2222" });
    expect(await h.waitIngress(ENVOY_NS, "envoy-infra-internal-bbbb2222")).toEqual([
      "203.0.113.11",
    ]);
  });

  it("takes Gateway.spec.addresses (externalIPs) inside a pool as the Gateway's request", async () => {
    await envoyService("edge", { hash: "cccc3333", externalIPs: ["192.0.2.70"] });
    expect(await h.waitIngress(ENVOY_NS, "envoy-infra-edge-cccc3333")).toEqual(["192.0.2.70"]);
    expect(await addressesCondition("envoy-infra-edge-cccc3333")).toMatchObject({
      status: "True",
      reason: "Assigned",
      message:
        "192.0.2.70 from pool spare, requested by Gateway infra/edge's spec.addresses (the Service's spec.externalIPs)",
    });
  });

  it("says why when Gateway.spec.addresses lie outside every pool, and assigns nothing", async () => {
    await envoyService("lost", { hash: "dddd4444", externalIPs: ["198.51.100.200"] });
    const ev = await h.waitEvent(ENVOY_NS, "envoy-infra-lost-dddd4444", "AllocationFailed");
    expect(ev.message).toBe(
      "Failed to allocate IP for \"gw-envoy/envoy-infra-lost-dddd4444\": cannot assign 198.51.100.200 from Gateway infra/lost's spec.addresses (the Service's spec.externalIPs): 198.51.100.200 is not allowed by any IPAddressPool",
    );
    // Envoy Gateway calls such a Gateway Programmed; the Service's condition says otherwise.
    expect(await addressesCondition("envoy-infra-lost-dddd4444")).toMatchObject({
      status: "False",
      reason: "NotInPool",
    });
    await waitFor(
      "no ingress",
      async () =>
        (await h.ingress(ENVOY_NS, "envoy-infra-lost-dddd4444")).length ? undefined : true,
      5_000,
    );
  });
});
