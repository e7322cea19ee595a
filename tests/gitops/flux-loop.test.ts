// The GitOps loop under real Flux (source-, kustomize-, helm- and notification-controller built
// from source), the real API server, kube-controller-manager, kube-scheduler and kwok for Ready
// workloads, and the repository served by a local Git host whose push webhook calls the
// cluster's Receiver. The tree is the one `npm run synth` writes for that Git host.
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  NAMESPACE,
  RELEASE,
  RELEASE_SYNC,
  POLICIES_SYNC,
  overridePath,
} from "../../src/gitops/synth/tree.js";
import { bootstrap, startGitopsEnv, type GitopsEnv } from "../../src/lab/gitops/env.js";
import { FLUX_NAMESPACE } from "../../src/lab/gitops/flux.js";
import {
  FluxStatus,
  poolNames as listPools,
  ready,
  type FluxObject,
} from "../../src/lab/gitops/status.js";
import { waitFor } from "../../src/sys/proc.js";
import { mergePatch } from "../../src/runtime/kube/patch.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const CLUSTER = "lab-l2";
const OVERRIDE = overridePath(CLUSTER);
/** Flux's and Helm's own waits are minutes; ours must outlast them to see their verdicts. */
const FLUX_WAIT = 240_000;

let env: GitopsEnv;
let flux: FluxStatus;
let apps: AppsV1Api;
let core: CoreV1Api;

beforeAll(async () => {
  env = await startGitopsEnv({ source: ROOT, nodes: [{ name: "node-a" }, { name: "node-b" }] });
  flux = new FluxStatus(env.kube.kubeconfigs.admin);
  const kc = new KubeConfig();
  kc.loadFromFile(env.kube.kubeconfigs.admin);
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const sync = (name: string) => flux.get("Kustomization", FLUX_NAMESPACE, name);
const release = () => flux.get("HelmRelease", NAMESPACE, RELEASE);

/** Waits until a Flux object is Ready at `revision` (any revision when undefined). */
async function readyAt(get: () => Promise<FluxObject>, revision?: string): Promise<FluxObject> {
  let last: FluxObject | undefined;
  return waitFor(
    `Ready${revision ? ` at ${revision}` : ""}`,
    async () => {
      last = await get();
      const r = ready(last);
      const applied = last.status?.lastAppliedRevision ?? "";
      if (r?.status !== "True") return undefined;
      return !revision || applied.endsWith(revision) ? last : undefined;
    },
    FLUX_WAIT,
    500,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last status: ${JSON.stringify(last?.status?.conditions)}`);
  });
}

const poolNames = () => listPools(env.kube.kubeconfigs.admin, NAMESPACE);

/** `metallb-ts status` as the operator runs it against this cluster. */
const status = () =>
  spawnSync(
    process.execPath,
    [join(ROOT, "bin/metallb-ts.js"), "status", "--kubeconfig", env.kube.kubeconfigs.admin],
    { encoding: "utf8" },
  );

const figures: string[] = [];
afterAll(() => {
  if (figures.length) console.log(`GitOps loop figures:\n  ${figures.join("\n  ")}`);
});

describe("the GitOps loop under real Flux", () => {
  it("installs from an empty cluster: release Ready first, then the policies; the chart's objects and the override's CRs exist", async () => {
    const start = Date.now();
    await bootstrap(env, CLUSTER, { webhook: true });
    const head = await env.repo.head();
    const main = await readyAt(() => sync(RELEASE_SYNC), head);
    const policies = await readyAt(() => sync(POLICIES_SYNC), head);
    figures.push(`bootstrap → release and policies Ready: ${Date.now() - start} ms`);
    // dependsOn: the policies became Ready only after the release's Kustomization did.
    expect(Date.parse(ready(policies)!.lastTransitionTime!)).toBeGreaterThanOrEqual(
      Date.parse(ready(main)!.lastTransitionTime!),
    );
    const hr = await readyAt(release);
    // The first install already had the cluster's values: one release, no upgrade after it.
    expect(hr.status?.history?.map((h) => h.status)).toEqual(["deployed"]);
    expect(await poolNames()).toEqual(["lab-reserved", "lab-v4", "lab-v6"]);
    const controller = await apps.readNamespacedDeployment({
      namespace: NAMESPACE,
      name: "metallb-ts-controller",
    });
    expect(controller.status?.readyReplicas).toBe(2);
    const speaker = await apps.readNamespacedDaemonSet({
      namespace: NAMESPACE,
      name: "metallb-ts-speaker",
    });
    expect(speaker.status?.numberReady).toBe(2);
    // The chart's version carries build metadata; its label must still be a valid label value.
    const chartVersion = hr.status?.history?.[0]?.chartVersion ?? "";
    expect(chartVersion).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
    expect(controller.metadata?.labels?.["helm.sh/chart"]).toBe(
      `metallb-ts-${chartVersion.replace("+", "_")}`,
    );
    // What the operator sees: pools, and the Flux objects of the release all Ready.
    const r = status();
    expect(r.stdout).toMatch(/Kustomization flux-system\/metallb-ts\s+True\s+main@sha1:/);
    expect(r.stdout).toMatch(/HelmRelease metallb-system\/metallb-ts\s+True\s+/);
    expect(r.stdout).toMatch(/\n {2}lab-v4\s+yes\s+/);
    expect(r.status).toBe(0);
  });

  it("applies a pushed pool within seconds through the Receiver, upgrading the release once with the same chart", async () => {
    const before = await release();
    const chartBefore = await flux.get("HelmChart", FLUX_NAMESPACE, `${NAMESPACE}-${RELEASE}`);
    env.repo.edit(OVERRIDE, (t) =>
      t.replace(
        "  l2Advertisements:",
        [
          "    - name: lab-extra",
          "      spec:",
          "        addresses:",
          "          - 198.51.100.200/30",
          "        autoAssign: false",
          "  l2Advertisements:",
        ].join("\n"),
      ),
    );
    const start = Date.now();
    const head = await env.repo.push("add pool lab-extra");
    await waitFor(
      "pool lab-extra",
      async () => ((await poolNames()).includes("lab-extra") ? true : undefined),
      FLUX_WAIT,
      250,
    );
    figures.push(`push → new pool in the API server (Receiver): ${Date.now() - start} ms`);
    await readyAt(() => sync(RELEASE_SYNC), head);
    const after = await readyAt(release);
    const history = after.status?.history ?? [];
    expect(history.length).toBe((before.status?.history?.length ?? 0) + 1);
    expect(history[0]?.chartVersion).toBe(before.status?.history?.[0]?.chartVersion);
    // A values-only commit builds no new chart.
    const chartAfter = await flux.get("HelmChart", FLUX_NAMESPACE, `${NAMESPACE}-${RELEASE}`);
    expect(chartAfter.status?.artifact?.revision).toBe(chartBefore.status?.artifact?.revision);
  });

  it("shows a schema-invalid override on the Flux objects with Helm's message, loses nothing, and recovers from a revert push alone", async () => {
    const pools = await poolNames();
    const deployed = (await release()).status?.history?.[0];
    env.repo.edit(OVERRIDE, (t) => t.replace("logLevel: info", "logLevel: loud"));
    const start = Date.now();
    const bad = await env.repo.push("a bad override");
    const hr = await waitFor(
      "the HelmRelease to fail with Helm's message",
      async () => {
        const o = await release();
        return ready(o)?.status === "False" && /logLevel/.test(ready(o)?.message ?? "")
          ? o
          : undefined;
      },
      FLUX_WAIT,
      500,
    );
    figures.push(`bad push → HelmRelease not Ready with Helm's message: ${Date.now() - start} ms`);
    expect(ready(hr)?.message).toMatch(/values don't meet the specifications of the schema/);
    // helm-controller keeps retrying, so the reason alternates between the failure and the
    // next attempt: the release is listed as a problem either way.
    const r = status();
    expect(r.stdout).toMatch(/HelmRelease metallb-system\/metallb-ts is not Ready: /);
    expect(r.status).toBe(1);
    // The Kustomization that applied the bad revision is not Ready while the release fails.
    const during = await sync(RELEASE_SYNC);
    expect(ready(during)?.status).not.toBe("True");
    expect(during.status?.lastAttemptedRevision).toContain(bad);
    // Nothing lost: the deployed release and its configuration are unchanged.
    expect(hr.status?.history?.[0]).toEqual(deployed);
    expect(await poolNames()).toEqual(pools);

    const fix = Date.now();
    const head = await env.repo.revert();
    await readyAt(() => sync(RELEASE_SYNC), head);
    await readyAt(release);
    figures.push(`revert push → release Ready again: ${Date.now() - fix} ms`);
    // The bad revision ended as a failed health check (a Warning event on the Kustomization)
    // before the revert was applied.
    const events = await core.listNamespacedEvent({
      namespace: FLUX_NAMESPACE,
      fieldSelector: `involvedObject.name=${RELEASE_SYNC}`,
    });
    expect(
      events.items.some((e) => e.type === "Warning" && /health check failed/.test(e.message ?? "")),
    ).toBe(true);
    await readyAt(() => sync(POLICIES_SYNC), head);
    expect(await poolNames()).toEqual(pools);
  });

  it("prunes a pool deleted from the override", async () => {
    env.repo.edit(OVERRIDE, (t) => t.replace(/ {4}- name: lab-extra\n(?: {6,}.*\n)+/, ""));
    const head = await env.repo.push("remove pool lab-extra");
    await readyAt(() => sync(RELEASE_SYNC), head);
    await waitFor(
      "pool lab-extra pruned",
      async () => ((await poolNames()).includes("lab-extra") ? undefined : true),
      FLUX_WAIT,
      250,
    );
    expect(await poolNames()).toEqual(["lab-reserved", "lab-v4", "lab-v6"]);
  });

  it("reverts a manual edit of the controller Deployment (drift detection)", async () => {
    await apps.patchNamespacedDeployment(
      {
        namespace: NAMESPACE,
        name: "metallb-ts-controller",
        body: { spec: { replicas: 5 } },
      },
      mergePatch,
    );
    // As `flux reconcile helmrelease` does; the HelmRelease's interval would do it in 10 minutes.
    await flux.requestReconcile("HelmRelease", NAMESPACE, RELEASE);
    await waitFor(
      "the controller Deployment back at 2 replicas",
      async () => {
        const d = await apps.readNamespacedDeployment({
          namespace: NAMESPACE,
          name: "metallb-ts-controller",
        });
        return d.spec?.replicas === 2 ? true : undefined;
      },
      FLUX_WAIT,
      500,
    );
  });
});
