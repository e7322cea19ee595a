// The writer the controller and speaker write through (plain JSON requests), against the real API
// server: what it writes lands as the typed client would have written it, and a refusal names
// the method, the object's path, the HTTP status and the server's reason.
import { CoreV1Api } from "@kubernetes/client-node";
import { connect, createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceL2StatusKind } from "../../src/api/kinds/status-kinds.js";
import { ApiError, apiRequest } from "../../src/runtime/kube/raw-http.js";
import { KubeWriter } from "../../src/runtime/kube/writer.js";
import { kubeConfigFor } from "./client.js";

const NS = "kube-writer";
const kc = kubeConfigFor("admin");
const core = kc.makeApiClient(CoreV1Api);
const writer = new KubeWriter(kc);

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespacedService({
    namespace: NS,
    body: {
      metadata: { name: "web", annotations: { keep: "me" } },
      spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
    },
  });
});

afterAll(async () => {
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
});

describe("KubeWriter", () => {
  it("sets and clears a Service's ingress and merges its annotations", async () => {
    await writer.serviceIngress(NS, "web", ["192.0.2.10"]);
    await writer.serviceAnnotations(NS, "web", { "metallb.io/ip-allocated-from-pool": "a" });
    let svc = await core.readNamespacedService({ namespace: NS, name: "web" });
    expect(svc.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual(["192.0.2.10"]);
    expect(svc.metadata?.annotations).toEqual({
      keep: "me",
      "metallb.io/ip-allocated-from-pool": "a",
    });
    await writer.serviceIngress(NS, "web", []);
    await writer.serviceAnnotations(NS, "web", { "metallb.io/ip-allocated-from-pool": null });
    svc = await core.readNamespacedService({ namespace: NS, name: "web" });
    expect(svc.status?.loadBalancer?.ingress).toBeUndefined();
    expect(svc.metadata?.annotations).toEqual({ keep: "me" });
  });

  it("records an Event on the Service", async () => {
    await writer.event({
      ref: { apiVersion: "v1", kind: "Service", namespace: NS, name: "web" },
      type: "Normal",
      reason: "IPAllocated",
      message: "Assigned IP [192.0.2.10]",
      component: "metallb-controller",
    });
    const events = await core.listNamespacedEvent({ namespace: NS });
    const e = events.items.find((x) => x.reason === "IPAllocated");
    expect(e?.involvedObject.name).toBe("web");
    expect(e?.type).toBe("Normal");
    expect(e?.source?.component).toBe("metallb-controller");
    expect(e?.firstTimestamp).toBeInstanceOf(Date);
  });

  it("creates, lists, patches and deletes a status object; present or absent already is fine", async () => {
    const def = ServiceL2StatusKind;
    await writer.createStatusObject(def, NS, "l2-web", { "metallb.io/node": "n1" });
    await writer.createStatusObject(def, NS, "l2-web", { "metallb.io/node": "n1" });
    await writer.patchStatus(def, NS, "l2-web", { node: "n1", serviceName: "web" });
    const listed = await writer.listStatuses(def, NS, "metallb.io/node=n1");
    expect(listed.map((l) => l.name)).toEqual(["l2-web"]);
    expect(listed[0]?.status).toMatchObject({ node: "n1", serviceName: "web" });
    await writer.deleteObject(def, NS, "l2-web");
    await writer.deleteObject(def, NS, "l2-web");
    expect(await writer.listStatuses(def, NS, "metallb.io/node=n1")).toEqual([]);
  });

  it("a refusal names the method, the path, the status and the server's reason", async () => {
    const err = await writer.serviceIngress(NS, "missing", ["192.0.2.11"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(404);
    expect((err as Error).message).toBe(
      `PATCH /api/v1/namespaces/${NS}/services/missing/status: HTTP 404: services "missing" not found`,
    );
    const invalid = await writer
      .serviceIngress(NS, "web", ["not-an-ip"])
      .catch((e: unknown) => e as ApiError);
    expect((invalid as ApiError).code).toBe(422);
    expect((invalid as Error).message).toContain("status.loadBalancer.ingress[0].ip");
  });

  it("requests share one kept-alive connection", async () => {
    // A TCP relay in front of the API server counts the connections the writer opens.
    const target = new URL(kc.getCurrentCluster()?.server ?? "");
    let connections = 0;
    const relay = createServer((inbound) => {
      connections++;
      const outbound = connect(Number(target.port), target.hostname);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on("error", () => outbound.destroy());
      outbound.on("error", () => inbound.destroy());
    }).listen(0, "127.0.0.1");
    await new Promise((r) => relay.once("listening", r));
    const relayed = kubeConfigFor("admin");
    const port = (relay.address() as { port: number }).port;
    relayed.clusters = relayed.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` }));
    try {
      const w = new KubeWriter(relayed);
      for (let i = 0; i < 20; i++)
        await w.serviceAnnotations(NS, "web", { "example.org/round": String(i) });
      expect(connections).toBe(1);
    } finally {
      relay.close();
    }
  });

  it("a request the server never answers fails at its deadline", async () => {
    const silent = kubeConfigFor("admin");
    // A listening socket that accepts and never answers (not even the TLS handshake).
    const held: Socket[] = [];
    const server = createServer((s) => held.push(s)).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    silent.clusters = silent.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` }));
    try {
      const err = await apiRequest(silent, { method: "GET", path: "/api", timeoutMs: 300 }).catch(
        (e: unknown) => e as Error,
      );
      expect(`${(err as Error).name}: ${(err as Error).message}`).toMatch(
        /TimeoutError|AbortError/,
      );
    } finally {
      for (const s of held) s.destroy();
      server.close();
    }
  });
});
