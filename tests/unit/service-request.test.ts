// Service → allocator request: annotations (current and deprecated), class, families, errors.
import type { V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { formatIp } from "../../src/api/formats/ip.js";
import { toRequest, type ServiceVerdict } from "../../src/runtime/controller/service-request.js";

const svc = (spec: V1Service["spec"], annotations: Record<string, string> = {}): V1Service => ({
  metadata: { namespace: "ns", name: "web", annotations, labels: { app: "web" } },
  spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }], ...spec },
});

describe("toRequest", () => {
  it("ignores what is not ours", () => {
    expect(toRequest(svc({ type: "ClusterIP" }), {}).kind).toBe("ignore");
    expect(toRequest(svc({ loadBalancerClass: "other" }), {}).kind).toBe("ignore");
    expect(toRequest(svc({}), {}, "metallb-ts").kind).toBe("ignore");
    expect(toRequest(svc({ loadBalancerClass: "metallb-ts" }), {}, "metallb-ts").kind).toBe(
      "request",
    );
  });

  it("reads requested addresses, pool and sharing key", () => {
    const v = toRequest(
      svc(
        {
          ipFamilies: ["IPv6", "IPv4"],
          ipFamilyPolicy: "RequireDualStack",
          externalTrafficPolicy: "Local",
          selector: { b: "2", a: "1" },
        },
        {
          "metallb.io/loadBalancerIPs": "2001:db8::5, 192.0.2.5",
          "metallb.io/address-pool": "gold",
          "metallb.io/allow-shared-ip": "k",
        },
      ),
      { team: "x" },
    );
    expect(v.kind).toBe("request");
    if (v.kind !== "request") return;
    expect(v.request.requestedIps.map(formatIp)).toEqual(["2001:db8::5", "192.0.2.5"]);
    expect(v.request).toMatchObject({
      key: "ns/web",
      pool: "gold",
      sharingKey: "k",
      families: [6, 4],
      familyPolicy: "RequireDualStack",
      trafficPolicy: "Local",
      selectorKey: "a=1,b=2",
      namespaceLabels: { team: "x" },
    });
    expect(v.warnings).toEqual([]);
  });

  it("honours the deprecated metallb.universe.tf annotations with a warning each", () => {
    const v = toRequest(
      svc(
        {},
        {
          "metallb.universe.tf/loadBalancerIPs": "192.0.2.9",
          "metallb.universe.tf/address-pool": "p",
        },
      ),
      {},
    );
    expect(v.kind).toBe("request");
    if (v.kind !== "request") return;
    expect(v.request.requestedIps.map(formatIp)).toEqual(["192.0.2.9"]);
    expect(v.request.pool).toBe("p");
    expect(v.warnings).toEqual([
      "annotation metallb.universe.tf/loadBalancerIPs is deprecated; use metallb.io/loadBalancerIPs",
      "annotation metallb.universe.tf/address-pool is deprecated; use metallb.io/address-pool",
    ]);
  });

  it("an empty annotation is no annotation, as upstream reads it (templates emit the key empty)", () => {
    for (const name of ["metallb.io/loadBalancerIPs", "metallb.universe.tf/loadBalancerIPs"]) {
      const v = toRequest(svc({}, { [name]: "" }), {});
      expect(v.kind === "request" && v.request.requestedIps).toEqual([]);
      expect(v.kind === "request" && v.warnings).toEqual([]);
    }
    const withSpec = toRequest(
      svc({ loadBalancerIP: "192.0.2.7" }, { "metallb.io/loadBalancerIPs": " " }),
      {},
    );
    expect(withSpec.kind === "request" && withSpec.request.requestedIps.map(formatIp)).toEqual([
      "192.0.2.7",
    ]);
    const pool = toRequest(svc({}, { "metallb.io/address-pool": "" }), {});
    expect(pool.kind === "request" && pool.request.pool).toBeUndefined();
  });

  it("spec.loadBalancerIP alone is a request", () => {
    const v = toRequest(svc({ loadBalancerIP: "192.0.2.7" }), {});
    expect(v.kind === "request" && v.request.requestedIps.map(formatIp)).toEqual(["192.0.2.7"]);
  });

  it("refuses two sources, malformed addresses and two of a family, naming the input", () => {
    const invalid = (v: ServiceVerdict) =>
      v.kind === "invalid" ? v.message : `not invalid: ${v.kind}`;
    expect(
      invalid(
        toRequest(
          svc({ loadBalancerIP: "192.0.2.7" }, { "metallb.io/loadBalancerIPs": "192.0.2.8" }),
          {},
        ),
      ),
    ).toContain("spec.loadBalancerIP");
    expect(
      invalid(toRequest(svc({}, { "metallb.io/loadBalancerIPs": "192.0.2.300" }), {})),
    ).toContain('"192.0.2.300"');
    expect(
      invalid(toRequest(svc({}, { "metallb.io/loadBalancerIPs": "192.0.2.1,192.0.2.2" }), {})),
    ).toContain("more than one address of a family");
  });
});

describe("a Gateway's Service (Envoy Gateway's labels)", () => {
  const gw = (spec: V1Service["spec"], annotations: Record<string, string> = {}): V1Service => ({
    metadata: {
      namespace: "envoy-gateway-system",
      name: "envoy-infra-public-1a2b3c4d",
      annotations,
      labels: {
        "gateway.envoyproxy.io/owning-gateway-name": "public",
        "gateway.envoyproxy.io/owning-gateway-namespace": "infra",
      },
    },
    spec: { type: "LoadBalancer", ports: [{ port: 443, protocol: "TCP" }], ...spec },
  });
  const ips = (v: ServiceVerdict) =>
    v.kind === "request" ? v.request.requestedIps.map(formatIp) : v.kind;

  it("requests its Gateway's spec.addresses, which Envoy Gateway writes as externalIPs", () => {
    const v = toRequest(gw({ externalIPs: ["198.51.100.10"] }), {});
    expect(ips(v)).toEqual(["198.51.100.10"]);
    expect(v.kind === "request" && v.request.requestedBy).toBe(
      "Gateway infra/public's spec.addresses (the Service's spec.externalIPs)",
    );
  });

  it("lets an explicit request win over the externalIPs", () => {
    const v = toRequest(
      gw({ externalIPs: ["198.51.100.10"] }, { "metallb.io/loadBalancerIPs": "198.51.100.20" }),
      {},
    );
    expect(ips(v)).toEqual(["198.51.100.20"]);
    expect(v.kind === "request" && v.request.requestedBy).toBeUndefined();
  });

  it("names the Gateway when an address is not one", () => {
    const v = toRequest(gw({ externalIPs: ["198.51.100.300"] }), {});
    expect(v).toMatchObject({
      kind: "invalid",
      message:
        "Gateway infra/public's spec.addresses (the Service's spec.externalIPs) address \"198.51.100.300\" is not an IP address",
    });
  });

  it("leaves externalIPs of other Services alone (upstream ignores them)", () => {
    expect(ips(toRequest(svc({ externalIPs: ["198.51.100.10"] }), {}))).toEqual([]);
  });
});
