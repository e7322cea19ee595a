// The embedded lab on the GitOps loop: an API server with the workload controllers and kwok,
// Flux's controllers, a local Git host serving a working copy of this repository, three nodes,
// an FRR router and a client on one bridge. Flux installs the chart and the configuration from
// overlays/lab/services/metallb/override-values.yaml; the controller and the speakers then run
// as processes with the arguments the chart rendered for their Pods (src/lab/gitops/pod-runner.ts).
import { AppsV1Api, KubeConfig, type V1LabelSelector, type V1Pod } from "@kubernetes/client-node";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RELEASE_SYNC, POLICIES_SYNC } from "../../gitops/synth/tree.js";
import type { Cleanup } from "../../sys/cleanup.js";
import { waitFor } from "../../sys/proc.js";
import { attachGitops, bootstrap, type GitopsEnv } from "../gitops/env.js";
import { FLUX_NAMESPACE } from "../gitops/flux.js";
import { PodRunner } from "../gitops/pod-runner.js";
import { FluxStatus, ready } from "../gitops/status.js";
import type { Component } from "../../images/config.js";
import { runtimeCommand, worktreeBundle } from "../app-bundle.js";
import { namespaceEndArgv, serveUnixToTcp } from "../kube/api-bridge.js";
import { startKube, type KubeEnv } from "../kube/cluster.js";
import { Lab, startFrr, type BgpRouter } from "../net/index.js";
import { LAB_CLUSTER, NEIGHBOURS, NODES, ROUTER_SPEC, RUNTIME_NS } from "./layout.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
/** The development CLI the lab shows its user (the Pods run the bundle instead). */
export const BIN = join(ROOT, "bin/metallb-ts.js");

export interface LabStack {
  env: KubeEnv;
  gitops: GitopsEnv;
  admin: KubeConfig;
  lab: Lab;
  router: BgpRouter;
  /** One process per controller Pod, and per speaker Pod (one per node). */
  controllers: PodRunner;
  speakers: PodRunner;
  /** The MAC of each node's LAN interface, by node name. */
  macs: Record<string, string>;
  /** Seconds from bootstrap until Flux reported the release and the policies Ready. */
  fluxSeconds: number;
}

const selectorOf = (s: V1LabelSelector | undefined) =>
  Object.entries(s?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

async function waitFluxReady(env: GitopsEnv): Promise<void> {
  const flux = new FluxStatus(env.kube.kubeconfigs.admin);
  const head = await env.repo.head();
  for (const name of [RELEASE_SYNC, POLICIES_SYNC]) {
    let last = "not reconciled yet";
    await waitFor(
      `Flux Kustomization ${name} Ready at ${head.slice(0, 12)}`,
      async () => {
        const o = await flux.get("Kustomization", FLUX_NAMESPACE, name).catch(() => undefined);
        const r = o && ready(o);
        if (r) last = `${r.reason}: ${r.message}`;
        return r?.status === "True" && o?.status?.lastAppliedRevision?.endsWith(head)
          ? true
          : undefined;
      },
      240_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last Ready condition: ${last}`);
    });
  }
}

export async function startStack(cleanup: Cleanup, say: (line: string) => void): Promise<LabStack> {
  say("starting etcd and kube-apiserver");
  const env = cleanup.use("etcd and kube-apiserver", await startKube(), (e) => e.stop());
  say(
    "starting kube-controller-manager, kube-scheduler, kwok and Flux's controllers; serving a working copy of this repository from a local Git host",
  );
  const gitops = await attachGitops(env, {
    source: ROOT,
    nodes: NODES.map((n) => ({ name: n.name, addresses: [n.ipv4, n.ipv6] })),
  });
  await cleanup.add("Git host", () => gitops.stop());
  const admin = new KubeConfig();
  admin.loadFromFile(env.kubeconfigs.admin);

  say(`building the network lab (${NODES.length} nodes, a router and a client)`);
  const host = (n: (typeof NODES)[number]) => ({
    name: n.name,
    links: [{ segment: "lan", addresses: [`${n.ipv4}/24`, `${n.ipv6}/64`] }],
  });
  const lab = await Lab.create({ segments: ["lan"], hosts: [...NODES.map(host), ...NEIGHBOURS] });
  await cleanup.add("network lab", () => lab.destroy());
  // Node namespaces have no route to the host's loopback: the API server is reached through a
  // Unix socket (src/lab/kube/api-bridge.ts).
  const port = Number(new URL(env.server).port);
  const sock = join(lab.dir, "api.sock");
  const bridge = await serveUnixToTcp(sock, port);
  await cleanup.add("API bridge", () => new Promise<void>((done) => bridge.close(() => done())));
  const macs: Record<string, string> = {};
  for (const node of NODES) {
    lab.spawn(node.name, `api-bridge-${node.name}`, namespaceEndArgv(port, sock));
    macs[node.name] = (await lab.exec(node.name, ["cat", "/sys/class/net/eth0/address"])).trim();
  }
  const router = await startFrr(lab, ROUTER_SPEC);

  say(
    `bootstrapping Flux for cluster "${LAB_CLUSTER}" (flux-system/${LAB_CLUSTER}), push webhook on`,
  );
  const bootstrapped = Date.now();
  await bootstrap(gitops, LAB_CLUSTER, { webhook: true });
  say("waiting for Flux to install the chart and the cluster's configuration");
  await waitFluxReady(gitops);
  const fluxSeconds = Math.round((Date.now() - bootstrapped) / 100) / 10;
  say(`Flux reports the release and the policies Ready (${fluxSeconds} s)`);

  // The Pods run what their images run: the bundle under plain node, with the image's options.
  const bundle = await worktreeBundle();
  if (bundle.made) say(`bundled the runtime in ${bundle.seconds.toFixed(1)} s`);
  const apps = admin.makeApiClient(AppsV1Api);
  const runner = async (kind: "Deployment" | "DaemonSet", container: Component) => {
    const list =
      kind === "Deployment"
        ? await apps.listNamespacedDeployment({ namespace: RUNTIME_NS })
        : await apps.listNamespacedDaemonSet({ namespace: RUNTIME_NS });
    const workload = list.items.find((w) =>
      w.spec?.template.spec?.containers.some((c) => c.name === container),
    );
    if (!workload) throw new Error(`the release has no ${kind} with a ${container} container`);
    return new PodRunner({
      admin,
      namespace: RUNTIME_NS,
      labelSelector: selectorOf(workload.spec?.selector),
      container,
      dir: join(lab.dir, "pods"),
      server: env.server,
      caFile: env.caFile,
      // A Pod's process runs in its node's namespace: the speakers use the host network, and the
      // lab has no Pod network for the controller.
      spawn: (pod: V1Pod, argv, vars) =>
        lab.spawn(pod.spec?.nodeName ?? "", pod.metadata?.name ?? container, [
          "env",
          ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
          ...runtimeCommand(bundle.file, container),
          ...argv,
        ]),
      say,
    });
  };
  say("starting a process for each controller and speaker Pod, with the args the chart rendered");
  const controllers = await runner("Deployment", "controller");
  await cleanup.add("controller processes", () => controllers.stop());
  await controllers.start();
  const speakers = await runner("DaemonSet", "speaker");
  await cleanup.add("speaker processes", () => speakers.stop());
  // The speakers mount the heartbeat Secret the controller creates; they start once it exists.
  await speakers.start();
  await waitFor(
    `a speaker process on each of ${NODES.length} nodes`,
    () => Promise.resolve(speakers.running.size === NODES.length || undefined),
    60_000,
  );
  return { env, gitops, admin, lab, router, controllers, speakers, macs, fluxSeconds };
}
