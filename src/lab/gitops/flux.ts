// Flux's controllers, built from source by tools/provision.sh, running against a lab cluster as
// processes on loopback: source-controller (artifacts over HTTP), kustomize-controller,
// helm-controller and notification-controller (webhook Receivers). Their CRDs come from each
// controller's own config/crd/bases, kept beside the binaries.
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { cachedTool, cacheDir } from "../../sys/tools.js";
import { freePort } from "../../sys/ports.js";
import { waitFor } from "../../sys/proc.js";
import type { KubeEnv } from "../kube/cluster.js";
import { installCrds } from "../kube/crds.js";

export const FLUX_NAMESPACE = "flux-system";

const CONTROLLERS = [
  "source-controller",
  "kustomize-controller",
  "helm-controller",
  "notification-controller",
] as const;

export interface Flux {
  /** The notification-controller's webhook endpoint: POST <receiverBase><status.webhookPath>. */
  receiverBase: string;
}

async function healthy(what: string, port: number): Promise<void> {
  await waitFor(
    `${what} /readyz`,
    async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok ? true : undefined),
    60_000,
    250,
  );
}

export async function startFlux(env: KubeEnv): Promise<Flux> {
  for (const c of CONTROLLERS) {
    const dir = join(cacheDir(), "bin", "flux-crds", c);
    if (!existsSync(dir) || !readdirSync(dir).length)
      throw new Error(`Flux CRDs of ${c} missing in ${dir}. Fix: run \`npm run provision\``);
    await installCrds(env.kubeconfigs.admin, dir);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfigs.admin);
  await kc
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: FLUX_NAMESPACE } } });

  // Flux's controllers read the cluster from $KUBECONFIG; they run as the lab's admin.
  const procEnv = { PATH: process.env.PATH, KUBECONFIG: env.kubeconfigs.admin };
  const [eventsPort, receiverPort, storagePort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const storage = join(env.dir, "flux-artifacts");
  mkdirSync(storage, { recursive: true });
  const extra: Record<(typeof CONTROLLERS)[number], string[]> = {
    "source-controller": [
      `--storage-path=${storage}`,
      `--storage-addr=127.0.0.1:${storagePort}`,
      `--storage-adv-addr=127.0.0.1:${storagePort}`,
    ],
    "kustomize-controller": [],
    "helm-controller": [],
    "notification-controller": [
      `--receiverAddr=127.0.0.1:${receiverPort}`,
      `--events-addr=127.0.0.1:${eventsPort}`,
    ],
  };
  const health: Promise<void>[] = [];
  for (const c of CONTROLLERS) {
    const [metrics, healthPort] = [await freePort(), await freePort()];
    env.startPart(
      c,
      [
        cachedTool(c),
        `--metrics-addr=127.0.0.1:${metrics}`,
        `--health-addr=127.0.0.1:${healthPort}`,
        "--log-level=info",
        ...(c === "notification-controller"
          ? []
          : [`--events-addr=http://127.0.0.1:${eventsPort}`]),
        ...extra[c],
      ],
      procEnv,
    );
    health.push(healthy(c, healthPort));
  }
  await Promise.all(health);
  return { receiverBase: `http://127.0.0.1:${receiverPort}` };
}
