// The condition a Gateway's Service gets (metallb.io/AddressesAssigned): written when its
// Gateway's spec.addresses are served or refused, and only when the Service does not show it.
import type { V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parseIp } from "../../src/api/formats/ip.js";
import type { Result } from "../../src/runtime/controller/allocator/allocator.js";
import { serviceWrites } from "../../src/runtime/controller/service-writes.js";
import { toRequest } from "../../src/runtime/controller/service-request.js";

const gatewayService = (conditions?: object[]): V1Service => ({
  metadata: {
    namespace: "envoy-gateway-system",
    name: "envoy-infra-edge-1",
    labels: {
      "gateway.envoyproxy.io/owning-gateway-name": "edge",
      "gateway.envoyproxy.io/owning-gateway-namespace": "infra",
    },
  },
  spec: { type: "LoadBalancer", externalIPs: ["192.0.2.80"], ports: [{ port: 80 }] },
  ...(conditions ? { status: { conditions: conditions as never } } : {}),
});
const ctx = { mayClear: true, noPools: false };
const conditionOf = (svc: V1Service, ok: boolean) => {
  const verdict = toRequest(svc, {});
  if (verdict.kind === "ignore") throw new Error("ignored");
  const result: Result = ok
    ? { ok: true, assignment: { ips: [parseIp("192.0.2.80")!], pool: "lan" } }
    : { ok: false, reason: "NotInPool", message: "192.0.2.80 is not allowed" };
  return serviceWrites(svc, "envoy-gateway-system/envoy-infra-edge-1", verdict, result, ctx).filter(
    (w) => w.kind === "condition",
  );
};

describe("a Gateway Service's AddressesAssigned condition", () => {
  it("is False with the allocator's reason when the addresses cannot be served", () => {
    expect(conditionOf(gatewayService(), false)).toEqual([
      {
        kind: "condition",
        status: "False",
        reason: "NotInPool",
        message: "192.0.2.80 is not allowed",
      },
    ]);
  });

  it("is True naming the pool and the Gateway's request when they are", () => {
    expect(conditionOf(gatewayService(), true)).toEqual([
      {
        kind: "condition",
        status: "True",
        reason: "Assigned",
        message:
          "192.0.2.80 from pool lan, requested by Gateway infra/edge's spec.addresses (the Service's spec.externalIPs)",
      },
    ]);
  });

  it("is not written again while the Service shows it", () => {
    const shown = {
      type: "metallb.io/AddressesAssigned",
      status: "False",
      reason: "NotInPool",
      message: "192.0.2.80 is not allowed",
      lastTransitionTime: new Date(),
    };
    expect(conditionOf(gatewayService([shown]), false)).toEqual([]);
    expect(conditionOf(gatewayService([shown]), true)).toHaveLength(1);
  });

  it("is not written for a Service that asks otherwise (upstream writes no condition)", () => {
    const plain: V1Service = { ...gatewayService(), metadata: { namespace: "a", name: "b" } };
    const verdict = toRequest(plain, {});
    if (verdict.kind === "ignore") throw new Error("ignored");
    expect(
      serviceWrites(plain, "a/b", verdict, { ok: false, reason: "NoPool", message: "x" }, ctx).some(
        (w) => w.kind === "condition",
      ),
    ).toBe(false);
  });
});
