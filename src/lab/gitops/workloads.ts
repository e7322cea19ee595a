// What makes Deployments and DaemonSets Ready without a kubelet: kube-controller-manager (the
// workload controllers create the Pods), kube-scheduler (binds them) and kwok (fake Nodes that
// report Ready and mark their Pods Running and Ready). Flux's health checks then see the chart's
// workloads become Ready as on a real cluster; no container runs.
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { join } from "node:path";
import { cacheDir, cachedTool } from "../../sys/tools.js";
import { freePort } from "../../sys/ports.js";
import { waitFor } from "../../sys/proc.js";
import type { KubeEnv } from "../kube/cluster.js";

const KWOK_ANNOTATION = "kwok.x-k8s.io/node";

/**
 * Pod addresses kwok hands out: documentation space apart from the lab's LAN, its pools and the
 * Service CIDR; no packet is ever sent to them.
 */
const POD_CIDR = "198.51.100.128/26";

export async function startWorkloadControllers(env: KubeEnv): Promise<void> {
  const admin = env.kubeconfigs.admin;
  env.startPart("kube-controller-manager", [
    cachedTool("kube-controller-manager"),
    `--kubeconfig=${admin}`,
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    `--secure-port=${await freePort()}`,
    `--service-account-private-key-file=${env.serviceAccountKey}`,
    `--root-ca-file=${env.caFile}`,
    "--use-service-account-credentials=false",
    "--v=1",
  ]);
  env.startPart("kube-scheduler", [
    cachedTool("kube-scheduler"),
    `--kubeconfig=${admin}`,
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    `--secure-port=${await freePort()}`,
    "--v=1",
  ]);
  env.startPart("kwok", [
    cachedTool("kwok"),
    `--kubeconfig=${admin}`,
    `--config=${join(cacheDir(), "bin", "kwok-stages.yaml")}`,
    `--manage-nodes-with-annotation-selector=${KWOK_ANNOTATION}=fake`,
    `--cidr=${POD_CIDR}`,
    "--node-ip=198.51.100.190",
    // Node Leases keep the fake Nodes Ready between kwok's (ten-minute) status heartbeats.
    "--node-lease-duration-seconds=40",
    `--server-address=127.0.0.1:${await freePort()}`,
  ]);
}

export interface FakeNode {
  name: string;
  /** The InternalIPs a kubelet would report (kwok keeps them); default: kwok's --node-ip. */
  addresses?: string[];
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Nodes kwok keeps Ready; the speaker DaemonSet gets one Pod on each. */
export async function createFakeNodes(env: KubeEnv, nodes: FakeNode[]): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfigs.admin);
  const core = kc.makeApiClient(CoreV1Api);
  const names = nodes.map((n) => n.name);
  for (const { name, addresses } of nodes) {
    await core.createNode({
      body: {
        metadata: {
          name,
          annotations: { [KWOK_ANNOTATION]: "fake" },
          labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", type: "kwok" },
        },
        spec: {},
      },
    });
    // kwok keeps the addresses a Node already reports; the speakers read them.
    if (addresses)
      await core.patchNodeStatus(
        {
          name,
          body: {
            status: { addresses: addresses.map((address) => ({ type: "InternalIP", address })) },
          },
        },
        mergePatch,
      );
  }
  await waitFor(
    `fake Nodes ${names.join(", ")} Ready`,
    async () => {
      const ready = (await core.listNode()).items.filter(
        (n) =>
          names.includes(n.metadata?.name ?? "") &&
          n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
      );
      return ready.length === names.length ? true : undefined;
    },
    60_000,
  );
}
