// Faults: the controller killed in the middle of a burst, the leader killed with a standby
// running, the API server restarted. After each, no address moved, none is held twice, and every
// Service converges. This suite starts an API server of its own, because it restarts it.
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startKube, type KubeEnv } from "../../src/lab/kube/cluster.js";
import { installCrds } from "../../src/lab/kube/crds.js";
import { waitFor, type Managed } from "../../src/sys/proc.js";
import { makeHarness, type Harness } from "../../src/lab/kube/harness.js";

const SYSTEM = "metallb-system";
const NS = "faults";
const logDir = mkdtempSync(join(tmpdir(), "metallb-ts-faults-"));
let env: KubeEnv;
let h: Harness;
let started = 0;
const running = new Set<Managed>();

function controller(leaseDuration = 3): Managed {
  const m = h.startController({
    identity: `faults-${started++}`,
    configNamespace: SYSTEM,
    leaseDuration,
    logDir,
  });
  running.add(m);
  return m;
}

async function kill(m: Managed): Promise<void> {
  process.kill(m.pid, "SIGKILL");
  await m.exited;
  running.delete(m);
}

/** Service name → its addresses (joined), for every Service in the namespace. */
async function snapshot(): Promise<Map<string, string>> {
  const items = (await h.core.listNamespacedService({ namespace: NS })).items;
  return new Map(
    items.map((s) => [
      s.metadata?.name ?? "",
      (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(","),
    ]),
  );
}

/** Creates Services concurrently, a few at a time, as a deployment burst would. */
async function burst(prefix: string, n: number): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < names.length; i += 10)
    await Promise.all(names.slice(i, i + 10).map((name) => h.lbService(NS, name)));
  return names;
}

const assigned = (snap: Map<string, string>) => [...snap].filter(([, ips]) => ips !== "");

/** Every Service has an address, no address is held twice, and none that was held moved. */
async function expectConverged(before: Map<string, string>): Promise<void> {
  const after = await waitFor(
    "every Service has an address",
    async () => {
      const snap = await snapshot();
      return assigned(snap).length === snap.size ? snap : undefined;
    },
    60_000,
  );
  const ips = [...after.values()];
  expect(new Set(ips).size).toBe(ips.length);
  for (const [name, ip] of assigned(before)) if (after.has(name)) expect(after.get(name)).toBe(ip);
}

describe("controller faults (own API server)", () => {
  beforeAll(async () => {
    env = await startKube();
    await installCrds(env.kubeconfigs.admin, join(import.meta.dirname, "../../config/crd"));
    const admin = new KubeConfig();
    admin.loadFromFile(env.kubeconfigs.admin);
    const core = admin.makeApiClient(CoreV1Api);
    for (const name of [SYSTEM, NS]) await core.createNamespace({ body: { metadata: { name } } });
    h = makeHarness(admin, env.kubeconfigs.controller, inject("controllerCommand"));
    await h.grantControllerRbac(SYSTEM);
    await h.createPool(SYSTEM, "faults", { addresses: ["192.0.2.0/25"] });
  });

  afterAll(async () => {
    for (const m of running) await m.stop();
    await env?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it("the controller SIGKILLed in the middle of a burst, then restarted", async () => {
    const first = controller();
    const creating = burst("burst", 40);
    const mid = await waitFor(
      "some of the burst assigned",
      async () => {
        const snap = await snapshot();
        return assigned(snap).length >= 5 ? snap : undefined;
      },
      30_000,
    );
    await kill(first);
    const before = await snapshot(); // what the killed controller managed to write
    expect(assigned(before).length).toBeGreaterThanOrEqual(assigned(mid).length);
    await creating;
    controller();
    await expectConverged(before);
  });

  it("the leader SIGKILLed with a standby running during a burst", async () => {
    const [leader] = running;
    if (!leader) throw new Error("no controller from the previous scenario");
    const standby = controller();
    await waitFor(
      "standby campaigning",
      () => Promise.resolve(standby.log().includes("campaigning") || undefined),
      60_000,
    );
    const creating = burst("failover", 30);
    await waitFor(
      "part of the burst assigned",
      async () => (assigned(await snapshot()).length >= 45 ? true : undefined),
      30_000,
    );
    await kill(leader);
    const before = await snapshot();
    await creating;
    // The leader may have assigned the whole burst before it died; these can only be served by
    // the standby once it has seen the dead leader's Lease stand still for a Lease duration.
    await burst("after-failover", 5);
    await waitFor(
      "standby leading",
      () => Promise.resolve(standby.log().includes("became leader") || undefined),
      60_000,
    );
    await expectConverged(before);
  });

  it("the API server restarted: watches resume, nothing moves", async () => {
    const [current] = running;
    if (!current) throw new Error("no controller from the previous scenario");
    // A long Lease, so the leader rides out the outage instead of resigning.
    await current.stop();
    running.delete(current);
    const survivor = controller(60);
    await waitFor(
      "leader again",
      () => Promise.resolve(survivor.log().includes("became leader") || undefined),
      90_000,
    );
    const before = await snapshot();
    await env.restartApiServer();
    await h.core.deleteNamespacedService({ name: "burst-0", namespace: NS });
    await burst("after-restart", 5);
    await expectConverged(before);
    expect(survivor.log()).not.toContain("lost leadership");
  });
});
