// A cluster as a GitOps user has it: the real API server, workload controllers and kwok so
// Deployments and DaemonSets become Ready, Flux's controllers, and a Git host serving a working
// copy of this repository whose tree was synthesized for that Git host. Flux is bootstrapped the
// way `flux bootstrap` leaves a cluster: the cluster's flux-system/<cluster> objects applied.
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stringify, parse } from "yaml";
import { startKube, type KubeEnv } from "../kube/cluster.js";
import { run, waitFor } from "../../sys/proc.js";
import { synth } from "../../gitops/synth/main.js";
import type { ClustersFile } from "../../gitops/synth/clusters.js";
import { RECEIVER, RECEIVER_SECRET, fluxDir } from "../../gitops/synth/tree.js";
import { FLUX_NAMESPACE, startFlux, type Flux } from "./flux.js";
import { startGitServer, type GitServer } from "./git-server.js";
import { startRegistry, type Registry } from "./registry.js";
import { createFakeNodes, startWorkloadControllers, type FakeNode } from "./workloads.js";

export interface GitopsEnv {
  kube: KubeEnv;
  flux: Flux;
  git: GitServer;
  repo: WorkingCopy;
  /** The OCI registry the chart comes from (`ociChart` only). */
  registry?: Registry;
  stop(): Promise<void>;
}

export interface GitopsOptions {
  /** The repository to serve: its tracked files as they are on disk. */
  source: string;
  /** kwok's Nodes (one speaker Pod each). */
  nodes?: FakeNode[];
  /**
   * Serve the chart from a local OCI registry instead of the repository: clusters.yaml gets
   * `chart: { source: oci, url: <registry>/charts, version, insecure: true }`. The registry starts
   * empty; the caller publishes the chart.
   */
  ociChart?: { version: string };
}

/** A clone the test or the lab user edits, commits and pushes. */
export interface WorkingCopy {
  dir: string;
  read(path: string): string;
  write(path: string, content: string): void;
  edit(path: string, change: (text: string) => string): void;
  /** Commits everything and pushes to the Git host; returns the new commit. */
  push(message: string): Promise<string>;
  /** Reverts the last commit and pushes; returns the new commit. */
  revert(): Promise<string>;
  head(): Promise<string>;
}

const git = (dir: string, ...args: string[]) =>
  run(["git", "-C", dir, "-c", "user.name=lab", "-c", "user.email=lab@example.com", ...args]);

function workingCopy(dir: string): WorkingCopy {
  const head = async () => (await git(dir, "rev-parse", "HEAD")).trim();
  return {
    dir,
    read: (path) => readFileSync(join(dir, path), "utf8"),
    write(path, content) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    edit(path, change) {
      this.write(path, change(this.read(path)));
    },
    async push(message) {
      await git(dir, "add", "-A");
      await git(dir, "commit", "-q", "--allow-empty", "-m", message);
      await git(dir, "push", "-q", "origin", "HEAD:main");
      return head();
    },
    async revert() {
      await git(dir, "revert", "--no-edit", "HEAD");
      await git(dir, "push", "-q", "origin", "HEAD:main");
      return head();
    },
    head,
  };
}

/**
 * Copies the tracked files of `source` (as they are on disk, uncommitted edits included),
 * declares the Git host's URL in clusters.yaml, synthesizes the tree and pushes it as the first
 * commit of `main`.
 */
async function seedRepository(
  source: string,
  dir: string,
  url: string,
  chart?: ClustersFile["chart"],
): Promise<WorkingCopy> {
  const files = (await run(["git", "-C", source, "ls-files", "-z"])).split("\0").filter(Boolean);
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    try {
      cpSync(join(source, f), join(dir, f), { recursive: false });
    } catch {
      // deleted in the working tree but not yet from the index
    }
  }
  const clusters = parse(readFileSync(join(dir, "clusters.yaml"), "utf8")) as ClustersFile;
  clusters.repository = { url, branch: "main" };
  if (chart) clusters.chart = chart;
  writeFileSync(join(dir, "clusters.yaml"), stringify(clusters));
  synth(dir, join(dir, "clusters.yaml"), false);
  await run(["git", "init", "-q", "-b", "main", dir]);
  await git(dir, "remote", "add", "origin", url);
  const copy = workingCopy(dir);
  await copy.push("the lab's GitOps repository");
  // So a user's plain `git commit` and `git push` in this copy work as in any clone.
  await git(dir, "config", "user.name", "lab");
  await git(dir, "config", "user.email", "lab@example.com");
  await git(dir, "branch", "--set-upstream-to=origin/main");
  return copy;
}

/**
 * Flux, the workload controllers, kwok's Nodes and the Git host added to a running API server;
 * `stop` closes the Git host (the API server and its parts stop with the KubeEnv).
 */
export async function attachGitops(kube: KubeEnv, opts: GitopsOptions): Promise<GitopsEnv> {
  await startWorkloadControllers(kube);
  await createFakeNodes(kube, opts.nodes ?? [{ name: "node-a" }, { name: "node-b" }]);
  const flux = await startFlux(kube);
  const git = await startGitServer(join(kube.dir, "git"));
  try {
    const registry = opts.ociChart ? await startRegistry(kube) : undefined;
    const chart: ClustersFile["chart"] | undefined =
      registry && opts.ociChart
        ? {
            source: "oci",
            url: registry.url("charts"),
            version: opts.ociChart.version,
            insecure: true,
          }
        : undefined;
    await git.createRepository("platform");
    const repo = await seedRepository(
      opts.source,
      join(kube.dir, "work"),
      git.url("platform"),
      chart,
    );
    return { kube, flux, git, repo, registry, stop: () => git.close() };
  } catch (err) {
    await git.close();
    throw err;
  }
}

export async function startGitopsEnv(opts: GitopsOptions): Promise<GitopsEnv> {
  const kube = await startKube();
  try {
    const env = await attachGitops(kube, opts);
    return {
      ...env,
      async stop() {
        await env.stop();
        await kube.stop();
      },
    };
  } catch (err) {
    const logs = kube.partLogs(15);
    await kube.stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logs}`, {
      cause: err,
    });
  }
}

export interface BootstrapOptions {
  /** Wire the Git host's push webhook to the cluster's Receiver (docs/distribution.md). */
  webhook: boolean;
}

/**
 * What `flux bootstrap --path flux-system/<cluster>` and the operator's one-time steps leave:
 * the Receiver's token Secret, Flux syncing flux-system/<cluster> from the repository, and
 * (optionally) the Git host's webhook pointing at the Receiver.
 */
export interface Bootstrapped {
  /** Turns the Git host's webhook off and on (e.g. to measure Flux's poll alone). */
  setWebhook(on: boolean): void;
}

export async function bootstrap(
  env: GitopsEnv,
  cluster: string,
  opts: BootstrapOptions,
): Promise<Bootstrapped> {
  const kc = new KubeConfig();
  kc.loadFromFile(env.kube.kubeconfigs.admin);
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: FLUX_NAMESPACE,
    body: {
      metadata: { name: RECEIVER_SECRET },
      stringData: { token: randomBytes(16).toString("hex") },
    },
  });
  // gotk-sync.yaml as bootstrap writes it: Flux syncs flux-system/<cluster> from the repository,
  // so our Flux objects there are applied (and changed) by Flux itself.
  const custom = kc.makeApiClient(CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    namespace: FLUX_NAMESPACE,
    plural: "gitrepositories",
    body: {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: { name: "flux-system" },
      spec: { interval: "1m", url: env.git.url("platform"), ref: { branch: "main" } },
    },
  });
  await custom.createNamespacedCustomObject({
    group: "kustomize.toolkit.fluxcd.io",
    version: "v1",
    namespace: FLUX_NAMESPACE,
    plural: "kustomizations",
    body: {
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: { name: "flux-system" },
      spec: {
        interval: "10m",
        path: `./${fluxDir(cluster)}`,
        prune: true,
        sourceRef: { kind: "GitRepository", name: "flux-system" },
      },
    },
  });
  let webhook = opts.webhook;
  const handle: Bootstrapped = { setWebhook: (on) => void (webhook = on) };
  const path = await waitFor(
    `Receiver ${RECEIVER} webhook path`,
    async () =>
      (
        (await custom.getNamespacedCustomObject({
          group: "notification.toolkit.fluxcd.io",
          version: "v1",
          namespace: FLUX_NAMESPACE,
          plural: "receivers",
          name: RECEIVER,
        })) as { status?: { webhookPath?: string } }
      ).status?.webhookPath,
    60_000,
  );
  // As a Git host does: a POST after every push; the generic Receiver needs no payload. It
  // reconciles our GitRepository; bootstrap's own source keeps its poll, as on a real cluster
  // where its webhook is the user's business.
  env.git.onPush(async () => {
    if (webhook) await fetch(`${env.flux.receiverBase}${path}`, { method: "POST", body: "{}" });
  });
  return handle;
}
