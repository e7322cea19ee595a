// Every API request has a deadline: against a server that accepts the connection and never
// answers (a half-open connection, a wedged API server), a call fails instead of hanging the
// Lease renewal or status write that awaits it.
import { CoordinationV1Api, KubeConfig } from "@kubernetes/client-node";
import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "../../src/runtime/kube/api-client.js";

const sockets: Socket[] = [];
const silent = createServer((s) => void sockets.push(s));
let kc: KubeConfig;

beforeAll(async () => {
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const { port } = silent.address() as { port: number };
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe("apiClient", () => {
  it("gives up on a server that never answers", async () => {
    const api = apiClient(kc, CoordinationV1Api, 300);
    const err = await api.readNamespacedLease({ namespace: "metallb-system", name: "x" }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toMatch(/TimeoutError|AbortError/);
    expect(sockets.length).toBeGreaterThan(0);
  });

  it("says what to do when the kubeconfig names no cluster", () => {
    expect(() => apiClient(new KubeConfig(), CoordinationV1Api)).toThrow(/current-context/);
  });
});
