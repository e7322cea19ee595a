// The address policies as shipped in policies/ (what `npm run synth` writes and Flux applies),
// against a real API server of their own (bindings are cluster-wide: the shared one's other
// suites must not meet them), with the chart's params ConfigMap and reservation pools rendered
// from values, the Gateway API CRDs, and each request made as the identity that would make it
// (kubectl --as, server-side dry run, so admission runs in full and nothing is kept).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADDRESS_REQUESTS_LABEL } from "../../src/api/policies/address-policies.js";
import { ENVOY_GATEWAY_LABEL } from "../../src/api/gateway.js";
import { startKube, type KubeEnv } from "../../src/lab/kube/cluster.js";
import { installCrds } from "../../src/lab/kube/crds.js";
import { cacheDir } from "../../src/sys/tools.js";
import { waitFor } from "../../src/sys/proc.js";
import { ROOT } from "./chart-helpers.js";
import { applyGatewayRelease } from "../../src/lab/gateway/release.js";

const SYSTEM = "metallb-system";
const ENVOY_NS = "envoy-gateway-system";
const ENVOY = `system:serviceaccount:${ENVOY_NS}:envoy-gateway`;
const CONTROLLER = `system:serviceaccount:${SYSTEM}:controller`;
const TENANT = "alice";
const RESERVED = "203.0.113.10";
let kube: KubeEnv;

function kubectl(args: string[], opts: { as?: string; input?: string } = {}) {
  const r = spawnSync(
    "kubectl",
    [
      "--kubeconfig",
      kube.kubeconfigs.admin,
      ...(opts.as ? ["--as", opts.as, "--as-group", "system:authenticated"] : []),
      ...args,
    ],
    { encoding: "utf8", input: opts.input },
  );
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

/** The API server's verdict on creating (or updating) `obj` as `user`: "allowed" or why not. */
function verdict(user: string, obj: object, op: "create" | "apply" = "create"): string {
  const args =
    op === "create"
      ? ["create", "--dry-run=server", "-o", "name", "-f", "-"]
      : [
          "apply",
          "--server-side",
          "--force-conflicts",
          "--dry-run=server",
          "-o",
          "name",
          "-f",
          "-",
        ];
  const r = kubectl(args, { as: user, input: JSON.stringify(obj) });
  if (r.ok) return "allowed";
  const denied = /denied request: (.*)$/s.exec(r.out);
  return denied ? denied[1]!.trim() : r.out;
}

type Meta = { annotations?: Record<string, string>; labels?: Record<string, string> };
const service = (namespace: string, name: string, meta: Meta = {}, spec: object = {}) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { namespace, name, ...meta },
  spec: { type: "LoadBalancer", ports: [{ port: 443, protocol: "TCP" }], ...spec },
});
const gatewayLabels = (name: string) => ({
  [ENVOY_GATEWAY_LABEL.name]: name,
  [ENVOY_GATEWAY_LABEL.namespace]: "infra",
});
const gateway = (namespace: string, name: string, addresses?: string[]) => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "Gateway",
  metadata: { namespace, name },
  spec: {
    gatewayClassName: "eg",
    listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
    ...(addresses ? { addresses: addresses.map((value) => ({ type: "IPAddress", value })) } : {}),
  },
});

beforeAll(async () => {
  kube = await startKube();
  await installCrds(kube.kubeconfigs.admin, join(ROOT, "config/crd"));
  await installCrds(kube.kubeconfigs.admin, join(cacheDir(), "bin", "gateway-api-crds"));
  for (const ns of [SYSTEM, ENVOY_NS, "tenant"])
    expect(kubectl(["create", "namespace", ns]).ok).toBe(true);
  expect(kubectl(["create", "namespace", "infra"]).ok).toBe(true);
  expect(kubectl(["label", "namespace", "infra", `${ADDRESS_REQUESTS_LABEL}=allowed`]).ok).toBe(
    true,
  );
  for (const user of [TENANT, ENVOY, CONTROLLER])
    expect(
      kubectl([
        "create",
        "clusterrolebinding",
        `admin-${user.replace(/[^a-z-]/g, "-")}`,
        "--clusterrole=cluster-admin",
        `--user=${user}`,
      ]).ok,
    ).toBe(true);
  // What the release installs (the params ConfigMap, the pools, one of them a reservation) and
  // the policies exactly as Flux applies them.
  await applyGatewayRelease(kube.kubeconfigs.admin, SYSTEM, {
    pool: ["203.0.113.0/26"],
    reserved: [RESERVED],
  });
  // Bindings take effect once the API server's policy informers have them.
  await waitFor(
    "the policies in force",
    () =>
      Promise.resolve(
        verdict(TENANT, service("tenant", "probe", {}, { externalIPs: ["203.0.113.50"] })) !==
          "allowed"
          ? true
          : undefined,
      ),
    60_000,
    250,
  );
}, 180_000);

afterAll(async () => {
  await kube?.stop();
});

const CVE =
  "; an external IP takes traffic for an address nobody allocated (CVE-2020-8554). Ask for a load-balancer address instead (metallb.io/loadBalancerIPs, from a namespace labelled metallb-ts.io/address-requests=allowed), or give a Gateway spec.addresses";
const asks = (ns: string, name: string, what: string) =>
  `Service ${ns}/${name} asks for specific load-balancer addresses or a pool (${what}); only namespaces labelled metallb-ts.io/address-requests=allowed may. Ask a cluster administrator to label namespace ${ns}, or drop the request to take the next free address`;
const reservedFor = `IPAddressPool gateway.infra.public reserves ${RESERVED} for Gateway infra/public`;

describe("spec.externalIPs (CVE-2020-8554)", () => {
  it.each([
    ["a tenant's Service", TENANT, "tenant"],
    ["a tenant's Service in Envoy Gateway's namespace", TENANT, ENVOY_NS],
  ])("%s is refused", (_, user, ns) => {
    expect(verdict(user, service(ns, "x", {}, { externalIPs: ["203.0.113.50"] }))).toBe(
      `Service ${ns}/x: spec.externalIPs may be set only by Envoy Gateway (${ENVOY}) on the Services it makes for Gateways${CVE}`,
    );
  });

  it("Envoy Gateway's Service for a Gateway with spec.addresses is allowed", () => {
    expect(
      verdict(
        ENVOY,
        service(
          ENVOY_NS,
          "envoy-infra-edge-1",
          { labels: gatewayLabels("edge") },
          {
            externalIPs: ["203.0.113.50"],
          },
        ),
      ),
    ).toBe("allowed");
  });

  it("a Service without externalIPs is not the policy's business", () => {
    expect(verdict(TENANT, service("tenant", "plain"))).toBe("allowed");
  });
});

describe("asking for specific addresses or a pool", () => {
  it.each([
    [
      "metallb.io/loadBalancerIPs",
      { annotations: { "metallb.io/loadBalancerIPs": "203.0.113.20" } },
      {},
    ],
    ["metallb.io/address-pool", { annotations: { "metallb.io/address-pool": "lan" } }, {}],
    [
      "metallb.universe.tf/loadBalancerIPs",
      { annotations: { "metallb.universe.tf/loadBalancerIPs": "203.0.113.20" } },
      {},
    ],
    ["spec.loadBalancerIP", {}, { loadBalancerIP: "203.0.113.20" }],
  ])("with %s from a namespace not allowed to is refused", (what, meta, spec) => {
    expect(verdict(TENANT, service("tenant", "ask", meta, spec))).toBe(asks("tenant", "ask", what));
  });

  it("from a namespace labelled metallb-ts.io/address-requests=allowed is allowed", () => {
    expect(
      verdict(
        TENANT,
        service("infra", "ask", { annotations: { "metallb.io/loadBalancerIPs": "203.0.113.20" } }),
      ),
    ).toBe("allowed");
  });

  it("an empty annotation (templates often emit one) asks for nothing", () => {
    expect(
      verdict(
        TENANT,
        service("tenant", "empty", { annotations: { "metallb.io/address-pool": "" } }),
      ),
    ).toBe("allowed");
  });
});

describe("addresses reserved for a Gateway", () => {
  it.each([
    ["the annotation", { annotations: { "metallb.io/loadBalancerIPs": RESERVED } }, {}],
    ["spec.loadBalancerIP", {}, { loadBalancerIP: RESERVED }],
  ])("a Service in an allowed namespace asking through %s is refused", (_, meta, spec) => {
    expect(verdict(TENANT, service("infra", "squat", meta, spec))).toBe(
      `Service infra/squat asks for a reserved address: ${reservedFor}, whose Service Envoy Gateway makes. Take another address, or give that Gateway's Service its own`,
    );
  });

  it("that Gateway's own Service may ask for them", () => {
    expect(
      verdict(
        ENVOY,
        service(ENVOY_NS, "envoy-infra-public-1a2b3c4d", {
          labels: gatewayLabels("public"),
          annotations: { "metallb.io/loadBalancerIPs": RESERVED },
        }),
      ),
    ).toBe("allowed");
  });

  it("another Gateway's Service may not, even made by Envoy Gateway", () => {
    expect(
      verdict(
        ENVOY,
        service(
          ENVOY_NS,
          "envoy-infra-other-1",
          { labels: gatewayLabels("other") },
          {
            externalIPs: [RESERVED],
          },
        ),
      ),
    ).toMatch(/^Service envoy-gateway-system\/envoy-infra-other-1 asks for a reserved address: /);
  });

  it("a Service carrying the Gateway's labels outside Envoy Gateway's namespace may not", () => {
    expect(
      verdict(
        TENANT,
        service("infra", "forged", {
          labels: gatewayLabels("public"),
          annotations: { "metallb.io/loadBalancerIPs": RESERVED },
        }),
      ),
    ).toMatch(/^Service infra\/forged asks for a reserved address: /);
  });

  it("the Gateway itself may name its reserved address in spec.addresses", () => {
    expect(verdict(TENANT, gateway("infra", "public", [RESERVED]))).toBe("allowed");
  });

  it("another Gateway may not", () => {
    expect(verdict(TENANT, gateway("infra", "other", [RESERVED]))).toBe(
      `Gateway infra/other asks for a reserved address in spec.addresses: ${reservedFor}. Take another address`,
    );
  });
});

describe("Gateway.spec.addresses", () => {
  it("from a namespace not allowed to ask is refused", () => {
    expect(verdict(TENANT, gateway("tenant", "web", ["203.0.113.30"]))).toBe(
      "Gateway tenant/web asks for specific addresses (spec.addresses); only namespaces labelled metallb-ts.io/address-requests=allowed may. Ask a cluster administrator to label namespace tenant, or drop spec.addresses to take the next free address (or the Gateway's reserved one)",
    );
  });

  it.each([
    ["with an unreserved address from an allowed namespace", "infra", ["203.0.113.30"]],
    ["without addresses, anywhere", "tenant", undefined],
  ])("%s is allowed", (_, ns, addresses) => {
    expect(verdict(TENANT, gateway(ns, "web", addresses))).toBe("allowed");
  });
});

describe("the controller's annotation", () => {
  const owned = (pool: string) => ({ annotations: { "metallb.io/ip-allocated-from-pool": pool } });
  beforeAll(() => {
    const made = kubectl(["create", "-f", "-"], {
      as: CONTROLLER,
      input: JSON.stringify(service("tenant", "served", owned("lan"))),
    });
    expect(made.ok, made.out).toBe(true);
  });

  it("is written by the controller", () => {
    expect(verdict(CONTROLLER, service("tenant", "by-controller", owned("lan")))).toBe("allowed");
  });

  it("may not be written by anyone else", () => {
    expect(verdict(TENANT, service("tenant", "by-hand", owned("lan")))).toBe(
      `Service tenant/by-hand: metallb.io/ip-allocated-from-pool records the pool the controller took the address from; only the metallb-ts controller (${CONTROLLER}) writes it. Remove it from the manifest: the controller sets it`,
    );
  });

  it("an update that keeps it as it is is allowed; one that changes it is not", () => {
    const keep = service("tenant", "served", { ...owned("lan"), labels: { team: "a" } });
    expect(verdict(TENANT, keep, "apply")).toBe("allowed");
    expect(verdict(TENANT, service("tenant", "served", owned("other")), "apply")).toMatch(
      /^Service tenant\/served: metallb.io\/ip-allocated-from-pool records the pool/,
    );
  });
});
