// The stores the controller and speaker read the cluster through, against the real API server:
// the list is read in pages as plain JSON and the cache holds objects without managedFields,
// whether they came from the list or from the watch.
import { CoreV1Api, type V1ConfigMap } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapBounded } from "../../src/lib/bounded.js";
import { rawList } from "../../src/runtime/kube/raw-list.js";
import { trimObject } from "../../src/runtime/kube/store.js";
import { StoreFactory } from "../../src/runtime/kube/stores.js";
import { makeLogger } from "../../src/runtime/log.js";
import { waitFor } from "../../src/sys/proc.js";
import { kubeConfigFor } from "./client.js";

const NS = "informer-store";
const kc = kubeConfigFor("admin");
const core = kc.makeApiClient(CoreV1Api);
const log = makeLogger("test", "error");
const COUNT = 230;
const PATH = `/api/v1/namespaces/${NS}/configmaps`;

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await mapBounded(
    Array.from({ length: COUNT }, (_, i) => i),
    20,
    (i) =>
      core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name: `cm-${i}`, labels: { n: String(i) } }, data: { i: String(i) } },
      }),
  );
});

afterAll(async () => {
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
});

const ours = (items: readonly V1ConfigMap[]) =>
  items.filter((c) => c.metadata?.name?.startsWith("cm-"));

describe("the paged raw list", () => {
  it("gathers every page of one snapshot, as plain JSON, trimmed as each page arrives", async () => {
    const list = await rawList<V1ConfigMap>(kc, PATH, {
      timeoutMs: 30_000,
      pageSize: 50,
      trim: trimObject,
    });
    const got = ours(list.items);
    expect(got).toHaveLength(COUNT);
    expect(new Set(got.map((c) => c.metadata?.name)).size).toBe(COUNT);
    expect(got.every((c) => c.metadata?.managedFields === undefined)).toBe(true);
    // Plain JSON: timestamps stay strings (the typed client would have made Dates).
    expect(typeof got[0]?.metadata?.creationTimestamp).toBe("string");
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    // Untrimmed, the API server's managedFields are there: the trim is what removed them.
    const raw = await rawList<V1ConfigMap>(kc, PATH, { timeoutMs: 30_000, pageSize: 50 });
    expect(ours(raw.items).every((c) => (c.metadata?.managedFields?.length ?? 0) > 0)).toBe(true);
  });

  it("a refused list names the path and the API server's reason", async () => {
    const refused = rawList(kc, "/api/v1/namespaces/informer-store/nosuchthings", {
      timeoutMs: 30_000,
    });
    await expect(refused).rejects.toThrow(
      /GET \/api\/v1\/namespaces\/informer-store\/nosuchthings: HTTP 404/,
    );
  });
});

describe("the informer store", () => {
  it("caches listed and watched objects without managedFields", async () => {
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: "listed" },
        spec: { ports: [{ port: 80 }], selector: { app: "x" } },
      },
    });
    const store = new StoreFactory(kc, log).services();
    await store.start();
    try {
      expect(store.get("listed", NS)?.metadata?.managedFields).toBeUndefined();
      await core.createNamespacedService({
        namespace: NS,
        body: { metadata: { name: "watched" }, spec: { ports: [{ port: 81 }] } },
      });
      const watched = await waitFor(
        "the watched Service in the cache",
        () => Promise.resolve(store.get("watched", NS)),
        30_000,
      );
      expect(watched.metadata?.managedFields).toBeUndefined();
      expect(watched.spec?.ports?.[0]?.port).toBe(81);
    } finally {
      await store.stop();
    }
  });
});
