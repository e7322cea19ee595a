// The chart's OCI mode under real Flux: charts/metallb-ts published with `npm run chart:publish`'s
// code (helm package + helm push) to a real OCI registry (CNCF distribution), the tree
// synthesized with `chart: { source: oci, … }`, source-controller pulling the chart through an
// OCIRepository and helm-controller installing it through the HelmRelease's chartRef.
import { AppsV1Api, KubeConfig } from "@kubernetes/client-node";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageVersion } from "../../src/api/generate/render.js";
import { AlreadyPublishedError, CHART_NAME, publishChart } from "../../src/gitops/publish/chart.js";
import {
  NAMESPACE,
  OCI_SOURCE,
  POLICIES_SYNC,
  RELEASE,
  RELEASE_SYNC,
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
import { synth } from "../../src/gitops/synth/main.js";
import { waitFor } from "../../src/sys/proc.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const CHART_DIR = join(ROOT, "charts/metallb-ts");
const CLUSTER = "lab-l2";
const FLUX_WAIT = 240_000;
/** The published release line; the clusters follow its patch releases. */
const [major, minor] = packageVersion().split(".");
const FIRST = `${major}.${minor}.0`;
const NEXT = `${major}.${minor}.1`;

let env: GitopsEnv;
let flux: FluxStatus;
let apps: AppsV1Api;
let chartsUrl: string;

beforeAll(async () => {
  env = await startGitopsEnv({
    source: ROOT,
    nodes: [{ name: "node-a" }],
    ociChart: { version: `${major}.${minor}.x` },
  });
  chartsUrl = env.registry!.url("charts");
  flux = new FluxStatus(env.kube.kubeconfigs.admin);
  const kc = new KubeConfig();
  kc.loadFromFile(env.kube.kubeconfigs.admin);
  apps = kc.makeApiClient(AppsV1Api);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const release = () => flux.get("HelmRelease", NAMESPACE, RELEASE);
const source = () => flux.get("OCIRepository", NAMESPACE, OCI_SOURCE);

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(what, probe, FLUX_WAIT, 500);
}

/**
 * helm-controller records a chart from an OCIRepository as <version>+<first 12 hex digits of the
 * artifact's digest>, so that a re-pushed tag still counts as a new chart.
 */
const fromRegistry = (version: string) =>
  new RegExp(`^${version.replace(/\./g, "\\.")}\\+[0-9a-f]{12}$`);

/** The HelmRelease Ready with its newest release at `chartVersion` (as the registry serves it). */
async function releasedAt(chartVersion: string): Promise<FluxObject> {
  let last: FluxObject | undefined;
  let src: FluxObject | undefined;
  return until(`HelmRelease Ready at chart ${chartVersion}`, async () => {
    const hr = (last = await release().catch(() => undefined));
    src = await source().catch(() => undefined);
    return hr &&
      ready(hr)?.status === "True" &&
      fromRegistry(chartVersion).test(hr.status?.history?.[0]?.chartVersion ?? "")
      ? hr
      : undefined;
  }).catch((err: Error) => {
    throw new Error(
      `${err.message}; HelmRelease: ${JSON.stringify(last?.status)}; OCIRepository: ${JSON.stringify(src?.status)}`,
    );
  });
}

const poolNames = () => listPools(env.kube.kubeconfigs.admin, NAMESPACE);

const figures: string[] = [];
afterAll(() => {
  if (figures.length) console.log(`OCI chart figures:\n  ${figures.join("\n  ")}`);
});

describe("the chart from an OCI registry under real Flux", () => {
  it("publishes a release version and refuses to replace it or to publish build metadata", async () => {
    const published = await publishChart({
      chartDir: CHART_DIR,
      version: FIRST,
      url: chartsUrl,
      plainHttp: true,
    });
    expect(published.reference).toBe(`${chartsUrl}/${CHART_NAME}:${FIRST}`);
    expect(published.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await env.registry!.tags(`charts/${CHART_NAME}`)).toEqual([FIRST]);
    await expect(
      publishChart({ chartDir: CHART_DIR, version: FIRST, url: chartsUrl, plainHttp: true }),
    ).rejects.toBeInstanceOf(AlreadyPublishedError);
    await expect(
      publishChart({
        chartDir: CHART_DIR,
        version: `${FIRST}+abc`,
        url: chartsUrl,
        plainHttp: true,
      }),
    ).rejects.toThrow(/not a release version/);
    expect(await env.registry!.tags(`charts/${CHART_NAME}`)).toEqual([FIRST]);
  });

  it("installs from an empty cluster through OCIRepository and chartRef, with the cluster's values", async () => {
    const start = Date.now();
    await bootstrap(env, CLUSTER, { webhook: true });
    const head = await env.repo.head();
    const oci = await until("OCIRepository Ready", async () => {
      const o = await source();
      return ready(o)?.status === "True" ? o : undefined;
    });
    expect(oci.status?.artifact?.revision).toMatch(new RegExp(`^${FIRST}@sha256:[0-9a-f]{64}$`));
    const hr = await releasedAt(FIRST);
    expect(hr.status?.history?.map((h) => h.status)).toEqual(["deployed"]);
    await until("the release and policies Kustomizations Ready at HEAD", async () => {
      for (const name of [RELEASE_SYNC, POLICIES_SYNC]) {
        const k = await flux.get("Kustomization", FLUX_NAMESPACE, name);
        if (ready(k)?.status !== "True" || !k.status?.lastAppliedRevision?.endsWith(head))
          return undefined;
      }
      return true;
    });
    figures.push(`bootstrap → release Ready from the registry: ${Date.now() - start} ms`);
    expect(await poolNames()).toEqual(["lab-reserved", "lab-v4", "lab-v6"]);
    // The version with the digest helm-controller adds still makes a valid label.
    const controller = await apps.readNamespacedDeployment({
      namespace: NAMESPACE,
      name: "metallb-ts-controller",
    });
    const recorded = hr.status?.history?.[0]?.chartVersion ?? "";
    expect(controller.metadata?.labels?.["helm.sh/chart"]).toBe(
      `${CHART_NAME}-${recorded.replace("+", "_")}`,
    );
    // What the operator sees: the chart's source among the Flux objects.
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "bin/metallb-ts.js"), "status", "--kubeconfig", env.kube.kubeconfigs.admin],
      { encoding: "utf8" },
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `OCIRepository metallb-system/${OCI_SOURCE}\\s+True\\s+${FIRST.replace(/\./g, "\\.")}@sha256:`,
      ),
    );
  });

  it("upgrades to a newly published patch release within the semver range, without a commit", async () => {
    const commits = env.git.pushes;
    const start = Date.now();
    await publishChart({ chartDir: CHART_DIR, version: NEXT, url: chartsUrl, plainHttp: true });
    // As `flux reconcile source oci` does (or the registry's webhook to a Receiver); the
    // OCIRepository's interval would do it within 10 minutes.
    await flux.requestReconcile("OCIRepository", NAMESPACE, OCI_SOURCE);
    const hr = await releasedAt(NEXT);
    figures.push(`publish ${NEXT} → release upgraded: ${Date.now() - start} ms`);
    expect(hr.status?.history?.map((h) => h.chartVersion?.split("+")[0])).toEqual([NEXT, FIRST]);
    expect(env.git.pushes).toBe(commits);
  });

  it("applies a values-only push with the same chart version, and shows a registry that refuses the chart", async () => {
    const before = await release();
    env.repo.edit(overridePath(CLUSTER), (t) => t.replace("logLevel: info", "logLevel: debug"));
    const head = await env.repo.push("speaker and controller log at debug");
    await until("the release Kustomization Ready at the push", async () => {
      const k = await flux.get("Kustomization", FLUX_NAMESPACE, RELEASE_SYNC);
      return ready(k)?.status === "True" && k.status?.lastAppliedRevision?.endsWith(head)
        ? true
        : undefined;
    });
    let seen: FluxObject | undefined;
    const after = await until("the release upgraded once", async () => {
      const hr = (seen = await release());
      // helm-controller keeps the last releases only: compare Helm's release numbers.
      const v = hr.status?.history?.[0]?.version ?? 0;
      return ready(hr)?.status === "True" && v === (before.status?.history?.[0]?.version ?? 0) + 1
        ? hr
        : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}; HelmRelease: ${JSON.stringify(seen?.status)}`);
    });
    // The same chart as the release before it, as the registry served it.
    expect(after.status?.history?.[0]?.chartVersion).toBe(after.status?.history?.[1]?.chartVersion);
    expect(after.status?.history?.[0]?.chartVersion).toMatch(fromRegistry(NEXT));

    // A range nothing in the registry satisfies: the source says so, the release stays.
    env.repo.edit("clusters.yaml", (t) =>
      t.replace(/version: "?[^"\n]+"?/, `version: ">=${Number(major) + 1}.0.0"`),
    );
    synth(env.repo.dir, join(env.repo.dir, "clusters.yaml"), false);
    const bad = await env.repo.push("ask for a chart the registry does not have");
    const failed: FluxObject = await until("OCIRepository not Ready", async () => {
      const o = await source();
      return ready(o)?.status === "False" && JSON.stringify(o.spec).includes(">=") ? o : undefined;
    });
    expect(ready(failed)?.message).toMatch(/semver/);
    expect((await release()).status?.history?.[0]).toEqual(after.status?.history?.[0]);
    expect(bad).not.toBe(head);
  });
});
