// Brings the embedded lab up from real parts: etcd + kube-apiserver (RBAC on), the CRDs, the
// controller as a process under its ServiceAccount identity, a network lab with an FRR router and
// a client, and one `metallb-ts speaker` per node inside that node's namespace. Every step
// registers its undo with the Cleanup before the next one starts.
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { namespaceEndArgv, serveUnixToTcp } from "../kube/api-bridge.js";
import { startKube, type KubeEnv } from "../kube/cluster.js";
import { installCrds } from "../kube/crds.js";
import { grantRbac } from "../kube/rbac.js";
import { Lab, startFrr, type BgpRouter } from "../net/index.js";
import { freePort } from "../../sys/ports.js";
import { startProcess, type Managed } from "../../sys/proc.js";
import { CONTROLLER_CLUSTER_RULES, CONTROLLER_NAMESPACE_RULES } from "../../api/rbac/controller.js";
import { SPEAKER_CLUSTER_RULES, SPEAKER_NAMESPACE_RULES } from "../../api/rbac/speaker.js";
import type { Cleanup } from "../../sys/cleanup.js";
import { DEMO_NS, NODES, ROUTER_SPEC, RUNTIME_NS, TOPOLOGY, type LabNode } from "./layout.js";

const bin = fileURLToPath(new URL("../../../bin/metallb-ts.js", import.meta.url));
const crdDir = fileURLToPath(new URL("../../../config/crd", import.meta.url));

/** Speakers keep the runtime's default ports: each node namespace has its own loopback. */
export const SPEAKER_METRICS_PORT = 7474;

export interface LabStack {
  env: KubeEnv;
  admin: KubeConfig;
  lab: Lab;
  router: BgpRouter;
  controller: Managed;
  controllerMetricsPort: number;
  speakers: Record<string, Managed>;
  /** The MAC of each node's LAN interface, by node name. */
  macs: Record<string, string>;
}

async function createNodes(core: CoreV1Api): Promise<void> {
  for (const node of NODES) {
    await core.createNode({
      body: { metadata: { name: node.name, labels: { "kubernetes.io/hostname": node.name } } },
    });
    // No kubelet runs: the addresses a kubelet would report are what the speaker reads.
    await core.patchNodeStatus(
      {
        name: node.name,
        body: {
          status: {
            addresses: [
              { type: "InternalIP", address: node.ipv4 },
              { type: "InternalIP", address: node.ipv6 },
            ],
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }
}

function speakerArgv(kubeconfig: string, node: LabNode, keyFile: string): string[] {
  return [
    process.execPath,
    bin,
    "speaker",
    "--node-name",
    node.name,
    "--kubeconfig",
    kubeconfig,
    "--namespace",
    RUNTIME_NS,
    "--metrics-port",
    String(SPEAKER_METRICS_PORT),
    "--health-port",
    "0",
    "--heartbeat-key-file",
    keyFile,
    "--heartbeat-address",
    node.ipv4,
  ];
}

export async function startStack(cleanup: Cleanup, say: (line: string) => void): Promise<LabStack> {
  say("starting etcd and kube-apiserver");
  const env = await startKube();
  await cleanup.add("etcd and kube-apiserver", () => env.stop());
  await installCrds(env.kubeconfigs.admin, crdDir);
  const admin = new KubeConfig();
  admin.loadFromFile(env.kubeconfigs.admin);
  const core = admin.makeApiClient(CoreV1Api);
  for (const name of [RUNTIME_NS, DEMO_NS])
    await core.createNamespace({ body: { metadata: { name } } });
  await grantRbac(admin, {
    serviceAccount: "controller",
    clusterRules: CONTROLLER_CLUSTER_RULES,
    namespaceRules: CONTROLLER_NAMESPACE_RULES,
  });
  await grantRbac(admin, {
    serviceAccount: "speaker",
    clusterRules: SPEAKER_CLUSTER_RULES,
    namespaceRules: SPEAKER_NAMESPACE_RULES,
  });
  await createNodes(core);

  say("building the network lab (three nodes, an FRR router, a client)");
  const lab = await Lab.create(TOPOLOGY);
  await cleanup.add("network lab", () => lab.destroy());
  const router = await startFrr(lab, ROUTER_SPEC);

  // Node namespaces have no route to the host's loopback: the API server is reached through a
  // Unix socket (src/lab/kube/api-bridge.ts).
  const port = Number(new URL(env.server).port);
  const sock = join(lab.dir, "api.sock");
  const bridge = await serveUnixToTcp(sock, port);
  await cleanup.add("API bridge", () => new Promise<void>((done) => bridge.close(() => done())));
  const keyFile = join(lab.dir, "heartbeat.key");
  writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });

  say("starting a speaker in each node and the controller");
  const speakers: Record<string, Managed> = {};
  const macs: Record<string, string> = {};
  // Registered after the bridge, so speakers stop while they can still reach the API server.
  await cleanup.add("speakers", async () => {
    await Promise.all(Object.values(speakers).map((s) => s.stop(3000)));
  });
  for (const node of NODES) {
    lab.spawn(node.name, `api-bridge-${node.name}`, namespaceEndArgv(port, sock));
    macs[node.name] = (await lab.exec(node.name, ["cat", "/sys/class/net/eth0/address"])).trim();
    speakers[node.name] = lab.spawn(
      node.name,
      `speaker-${node.name}`,
      speakerArgv(env.kubeconfigs.speaker, node, keyFile),
    );
  }
  const controllerMetricsPort = await freePort();
  const controller = startProcess(
    "controller",
    [
      process.execPath,
      bin,
      "controller",
      "--kubeconfig",
      env.kubeconfigs.controller,
      "--namespace",
      RUNTIME_NS,
      "--identity",
      "lab-controller",
      "--metrics-port",
      String(controllerMetricsPort),
      "--health-port",
      "0",
    ],
    join(lab.dir, "controller.log"),
  );
  await cleanup.add("controller", () => controller.stop());
  return { env, admin, lab, router, controller, controllerMetricsPort, speakers, macs };
}
