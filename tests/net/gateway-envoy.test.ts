// Gateways under the real Envoy Gateway controller (built from its Go module, in its own network
// and mount namespace, under its own ServiceAccount) in the three-node speaker lab: the real API
// server, the metallb-ts controller and a speaker per node namespace, a client on the LAN, and
// kube-controller-manager, kube-scheduler and kwok so that Envoy Gateway's proxy Pods run "on"
// the nodes (their endpoints are what an externalTrafficPolicy Local Service is announced from).
// The chart's reservation pools and params come from values, the policies as policies/ holds
// them. Envoy Gateway generates the Services; nothing here shapes them by hand.
import type { CoreV1Api, CustomObjectsApi, V1Service } from "@kubernetes/client-node";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENVOY_GATEWAY_LABEL } from "../../src/api/gateway.js";
import { ADDRESS_REQUESTS_LABEL } from "../../src/api/policies/address-policies.js";
import {
  ENVOY_GATEWAY_CONTROLLER,
  startEnvoyGateway,
  type EnvoyGateway,
} from "../../src/lab/gateway/envoy-gateway.js";
import { startWorkloadControllers } from "../../src/lab/gitops/workloads.js";
import type { KubeEnv } from "../../src/lab/kube/cluster.js";
import type { Harness } from "../../src/lab/kube/harness.js";
import { client } from "../../src/lab/net/index.js";
import { NODES, startSpeakerLab, type SpeakerLab } from "../../src/lab/speaker-lab.js";
import { applyGatewayRelease } from "../../src/lab/gateway/release.js";
import { waitFor } from "../../src/sys/proc.js";

const SYSTEM = "metallb-system";
const RESERVED = "192.0.2.70";
const SPEC_ADDRESS = "192.0.2.80";
/** On the LAN, in no pool: a client could resolve it if anything answered for it. */
const OUTSIDE = "192.0.2.200";
let c: SpeakerLab;
let kube: KubeEnv;
let eg: EnvoyGateway | undefined;
let h: Harness;
let core: CoreV1Api;
let custom: CustomObjectsApi;

const kubectl = (args: string[], input?: string, as?: string) => {
  const r = spawnSync(
    "kubectl",
    ["--kubeconfig", kube.kubeconfigs.admin, ...(as ? ["--as", as] : []), ...args],
    { encoding: "utf8", input },
  );
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
};

const gatewayBody = (name: string, addresses?: string[]) => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "Gateway",
  metadata: { namespace: "infra", name },
  spec: {
    gatewayClassName: "eg",
    listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
    ...(addresses ? { addresses: addresses.map((value) => ({ type: "IPAddress", value })) } : {}),
  },
});
const gw = {
  group: "gateway.networking.k8s.io",
  version: "v1",
  namespace: "infra",
  plural: "gateways",
};

/** The Service Envoy Gateway generated for Gateway infra/<name>. */
async function serviceOf(name: string): Promise<V1Service> {
  return waitFor(
    `Envoy Gateway's Service for Gateway infra/${name}`,
    async () =>
      (
        await core.listNamespacedService({
          namespace: eg!.namespace,
          labelSelector: `${ENVOY_GATEWAY_LABEL.name}=${name},${ENVOY_GATEWAY_LABEL.namespace}=infra`,
        })
      ).items[0],
    60_000,
    100,
  );
}

/** The Gateway's status.addresses once non-empty. */
const statusAddresses = (name: string) =>
  waitFor(
    `Gateway infra/${name} status.addresses`,
    async () => {
      const g = (await custom.getNamespacedCustomObject({ ...gw, name })) as {
        status?: { addresses?: { value: string }[] };
      };
      const a = (g.status?.addresses ?? []).map((x) => x.value);
      return a.length ? a : undefined;
    },
    60_000,
    50,
  );

const figures: string[] = [];

/**
 * The client's own kernel resolves `ip` to the MAC of the node holding the Service's
 * ServiceL2Status — a node where one of Envoy Gateway's proxy Pods runs (Local policy).
 */
async function answeredOnTheLan(ip: string, service: string): Promise<void> {
  await waitFor(
    `the client to resolve ${ip} to the node announcing ${service}`,
    async () => {
      const owner = await c.l2Owner(service);
      return owner && (await client.arpResolve(c.lab, "client", "eth0", ip)) === c.macs[owner]
        ? owner
        : undefined;
    },
    90_000,
    200,
  );
}

beforeAll(async () => {
  c = await startSpeakerLab({ namespaces: ["infra", "tenant"] });
  kube = c.env;
  h = c.harness;
  core = c.core;
  custom = c.custom;
  // kwok takes the lab's Nodes over (keeping their addresses) so that the Pods scheduled on them
  // become Running and Ready, as a kubelet would report them.
  for (const node of NODES)
    expect(kubectl(["annotate", "node", node, "kwok.x-k8s.io/node=fake"]).ok).toBe(true);
  await startWorkloadControllers(kube);
  eg = await startEnvoyGateway(kube);
  expect(kubectl(["label", "namespace", "infra", `${ADDRESS_REQUESTS_LABEL}=allowed`]).ok).toBe(
    true,
  );
  expect(
    kubectl([
      "create",
      "clusterrolebinding",
      "alice",
      "--clusterrole=cluster-admin",
      "--user=alice",
    ]).ok,
  ).toBe(true);
  // The release as Flux installs it (pools, reservation, policy params), then the policies.
  await applyGatewayRelease(kube.kubeconfigs.admin, SYSTEM, {
    pool: ["192.0.2.64/27"],
    reserved: [RESERVED],
  });
  const cls = kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: "eg" },
      spec: { controllerName: ENVOY_GATEWAY_CONTROLLER },
    }),
  );
  expect(cls.ok, cls.out).toBe(true);
  await c.waitForLeases(3);
}, 300_000);

afterAll(async () => {
  if (figures.length) console.log(`Envoy Gateway figures:\n  ${figures.join("\n  ")}`);
  await eg?.stop();
  await c?.stop();
});

describe("Gateways under the real Envoy Gateway controller", () => {
  it("a Gateway with a reserved address gets exactly that address in status.addresses", async () => {
    const start = Date.now();
    await custom.createNamespacedCustomObject({ ...gw, body: gatewayBody("public") });
    expect(await statusAddresses("public")).toEqual([RESERVED]);
    figures.push(`apply Gateway → reserved address in status.addresses: ${Date.now() - start} ms`);
    const svc = await serviceOf("public");
    expect(svc.metadata?.name).toMatch(/^envoy-infra-public-[0-9a-f]{8}$/);
    expect(svc.spec?.externalTrafficPolicy).toBe("Local");
    expect(svc.metadata?.annotations?.["metallb.io/ip-allocated-from-pool"]).toBe(
      "gateway.infra.public",
    );
  });

  it("gives the same address back after the Gateway is deleted and re-created", async () => {
    const before = (await serviceOf("public")).metadata?.uid;
    await custom.deleteNamespacedCustomObject({ ...gw, name: "public" });
    await waitFor(
      "the old Service gone",
      async () =>
        (await core.listNamespacedService({ namespace: eg!.namespace })).items.some(
          (s) => s.metadata?.uid === before,
        )
          ? undefined
          : true,
      60_000,
      100,
    );
    await custom.createNamespacedCustomObject({ ...gw, body: gatewayBody("public") });
    expect(await statusAddresses("public")).toEqual([RESERVED]);
  });

  it("a tenant may not ask for the reserved address; the policy says whose it is", () => {
    const r = kubectl(
      ["create", "--dry-run=server", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          namespace: "infra",
          name: "squat",
          annotations: { "metallb.io/loadBalancerIPs": RESERVED },
        },
        spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
      }),
      "alice",
    );
    expect(r.ok).toBe(false);
    expect(r.out).toContain(
      `IPAddressPool gateway.infra.public reserves ${RESERVED} for Gateway infra/public`,
    );
  });

  it("Gateway.spec.addresses inside a pool: assigned and shown in status.addresses", async () => {
    await custom.createNamespacedCustomObject({
      ...gw,
      body: gatewayBody("edge", [SPEC_ADDRESS]),
    });
    const svc = await serviceOf("edge");
    expect(svc.spec?.externalIPs).toEqual([SPEC_ADDRESS]);
    expect(await h.waitIngress(eg!.namespace, svc.metadata!.name!)).toEqual([SPEC_ADDRESS]);
    expect(await statusAddresses("edge")).toContain(SPEC_ADDRESS);
    await answeredOnTheLan(SPEC_ADDRESS, svc.metadata!.name!);
  });

  it("Gateway.spec.addresses outside every pool: an event naming the Gateway, nothing assigned", async () => {
    await custom.createNamespacedCustomObject({
      ...gw,
      body: gatewayBody("lost", [OUTSIDE]),
    });
    const svc = await serviceOf("lost");
    const ev = await h.waitEvent(eg!.namespace, svc.metadata!.name!, "AllocationFailed");
    expect(ev.message).toContain(
      `cannot assign ${OUTSIDE} from Gateway infra/lost's spec.addresses (the Service's spec.externalIPs): ${OUTSIDE} is not allowed by any IPAddressPool`,
    );
    expect(await h.ingress(eg!.namespace, svc.metadata!.name!)).toEqual([]);
    expect(await c.l2Statuses(svc.metadata!.name!)).toEqual([]);
    // Envoy Gateway reports this Gateway Programmed with the address; the Service says why not.
    const condition = await waitFor(
      "the Service's AddressesAssigned condition",
      async () =>
        (
          await core.readNamespacedService({ namespace: eg!.namespace, name: svc.metadata!.name! })
        ).status?.conditions?.find((x) => x.type === "metallb.io/AddressesAssigned"),
      60_000,
    );
    expect(condition).toMatchObject({ status: "False", reason: "NotInPool" });
    expect(await client.arpResolve(c.lab, "client", "eth0", OUTSIDE)).toBeUndefined();
  });
});
