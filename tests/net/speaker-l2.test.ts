// The whole L2 path, real parts only: the API server, the controller as a process, three
// `metallb-ts speaker` processes in node namespaces (reaching the API server through a Unix
// socket bridge), and a client whose own kernel resolves the VIPs. Then the owner is killed.
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { Server } from "node:net";
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveUnixToTcp } from "../../src/lab/kube/api-bridge.js";
import { startKube, type KubeEnv } from "../../src/lab/kube/cluster.js";
import { installCrds } from "../../src/lab/kube/crds.js";
import { grantRbac } from "../../src/lab/kube/rbac.js";
import { client, Lab, type Topology } from "../../src/lab/net/index.js";
import { waitFor, type Managed } from "../../src/lab/proc.js";
import { SPEAKER_CLUSTER_RULES, SPEAKER_NAMESPACE_RULES } from "../../src/runtime/speaker/rbac.js";
import { makeHarness, type Harness } from "../kube/controller-harness.js";

const SYSTEM = "metallb-system";
const NS = "l2-e2e";
const NODES = ["n1", "n2", "n3"];
const VIP4 = "192.0.2.100";
const VIP6 = "2001:db8::100";
const bin = fileURLToPath(new URL("../../bin/metallb-ts.js", import.meta.url));
const bridgeScript = fileURLToPath(new URL("../../src/lab/kube/api-bridge.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

const host = (name: string, n: number) => ({
  name,
  links: [{ segment: "lan", addresses: [`192.0.2.${n}/24`, `2001:db8::${n}/64`] }],
});
const topology: Topology = {
  segments: ["lan"],
  hosts: [host("n1", 11), host("n2", 12), host("n3", 13), host("client", 2)],
};

let env: KubeEnv;
let lab: Lab;
let h: Harness;
let bridge: Server;
let core: CoreV1Api;
let custom: CustomObjectsApi;
const speakers: Record<string, Managed> = {};
const mac: Record<string, string> = {};
let controller: Managed;
let kubeAdmin: KubeConfig;

function startSpeaker(node: string, keyFile: string): Managed {
  const n = 11 + NODES.indexOf(node);
  return lab.spawn(node, `speaker-${node}-${Date.now()}`, [
    process.execPath,
    bin,
    "speaker",
    "--node-name",
    node,
    "--kubeconfig",
    env.kubeconfigs.speaker,
    "--metrics-port",
    "0",
    "--health-port",
    "0",
    "--heartbeat-key-file",
    keyFile,
    "--heartbeat-address",
    `192.0.2.${n}`,
  ]);
}

/** The node that holds the Service's ServiceL2Status. */
async function l2Owner(service: string): Promise<string | undefined> {
  const list = (await custom.listNamespacedCustomObject({
    group: "metallb.io",
    version: "v1beta1",
    namespace: SYSTEM,
    plural: "servicel2statuses",
    labelSelector: `metallb.io/service-name=${service}`,
  })) as { items: { status?: { node?: string } }[] };
  const nodes = list.items.map((i) => i.status?.node).filter(Boolean);
  return nodes.length === 1 ? nodes[0] : undefined;
}

beforeAll(async () => {
  env = await startKube();
  await installCrds(env.kubeconfigs.admin, join(import.meta.dirname, "../../config/crd"));
  const admin = new KubeConfig();
  admin.loadFromFile(env.kubeconfigs.admin);
  kubeAdmin = admin;
  core = admin.makeApiClient(CoreV1Api);
  custom = admin.makeApiClient(CustomObjectsApi);
  for (const name of [SYSTEM, NS]) await core.createNamespace({ body: { metadata: { name } } });
  h = makeHarness(admin, env.kubeconfigs.controller);
  await h.grantControllerRbac(SYSTEM);
  await grantRbac(admin, {
    serviceAccount: "speaker",
    clusterRules: SPEAKER_CLUSTER_RULES,
    namespaceRules: SPEAKER_NAMESPACE_RULES,
  });
  for (const [i, name] of NODES.entries()) {
    await core.createNode({
      body: { metadata: { name, labels: { "kubernetes.io/hostname": name } } },
    });
    await core.patchNodeStatus(
      {
        name,
        body: { status: { addresses: [{ type: "InternalIP", address: `192.0.2.${11 + i}` }] } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }

  lab = await Lab.create(topology);
  const port = Number(new URL(env.server).port);
  const sock = join(lab.dir, "api.sock");
  bridge = await serveUnixToTcp(sock, port);
  const keyFile = join(lab.dir, "heartbeat.key");
  writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
  for (const node of NODES) {
    lab.spawn(node, `api-bridge-${node}`, [
      process.execPath,
      "--import",
      tsx,
      bridgeScript,
      String(port),
      sock,
    ]);
    mac[node] = (await lab.exec(node, ["cat", "/sys/class/net/eth0/address"])).trim();
    speakers[node] = startSpeaker(node, keyFile);
  }
  controller = h.startController({ identity: "l2-e2e", configNamespace: SYSTEM, logDir: lab.dir });

  await h.createPool(SYSTEM, "lan", { addresses: [`${VIP4}/32`, `${VIP6}/128`] });
  await custom.createNamespacedCustomObject({
    group: "metallb.io",
    version: "v1beta1",
    namespace: SYSTEM,
    plural: "l2advertisements",
    body: {
      apiVersion: "metallb.io/v1beta1",
      kind: "L2Advertisement",
      metadata: { name: "lan" },
      spec: {},
    },
  });
  for (const [name, family] of [
    ["web4", "IPv4"],
    ["web6", "IPv6"],
  ] as const) {
    await h.lbService(NS, name, { spec: { ipFamilies: [family] } });
    await admin.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace: NS,
      body: {
        metadata: { name: `${name}-1`, labels: { "kubernetes.io/service-name": name } },
        addressType: family,
        endpoints: [
          {
            addresses: [family === "IPv4" ? "192.0.2.50" : "2001:db8::50"],
            nodeName: "n1",
            conditions: { ready: true },
          },
        ],
        ports: [{ port: 80, protocol: "TCP" }],
      },
    });
  }
}, 300_000);

afterAll(async () => {
  await controller?.stop();
  await lab?.destroy();
  bridge?.close();
  await env?.stop();
});

describe("L2 speakers end to end (API server, controller, three speaker processes, client kernel)", () => {
  it("each VIP gets one owner, recorded in a ServiceL2Status, and the client resolves it to that node's MAC", async () => {
    for (const [svc, vip, resolve] of [
      ["web4", VIP4, client.arpResolve],
      ["web6", VIP6, client.ndpResolve],
    ] as const) {
      expect(await h.waitIngress(NS, svc)).toEqual([vip]);
      const owner = await waitFor(`${svc} has one L2 owner`, () => l2Owner(svc), 90_000);
      const answer = await waitFor(
        `an answer for ${vip}`,
        () => resolve(lab, "client", "eth0", vip),
        30_000,
        200,
      );
      expect(answer).toBe(mac[owner]);
      const ev = await h.waitEvent(NS, svc, "nodeAssigned");
      expect(ev.message).toContain(`"${owner}"`);
    }
  });

  it("the owner SIGKILLed: another node takes the VIP over and the client's entry moves to it", async () => {
    const owner = (await l2Owner("web4"))!;
    // every speaker is up (holds its Lease) before the owner goes
    const coordination = kubeAdmin.makeApiClient(CoordinationV1Api);
    await waitFor(
      "three speaker Leases",
      async () =>
        (await coordination.listNamespacedLease({ namespace: SYSTEM })).items.filter((l) =>
          l.metadata?.name?.startsWith("metallb-speaker-"),
        ).length === 3 || undefined,
      60_000,
    );
    // the client holds an entry for the VIP
    await lab.exec("client", ["ping", "-4", "-c1", "-W1", VIP4]).catch(() => "");
    expect(await client.neighbourMac(lab, "client", VIP4)).toBe(mac[owner]);
    process.kill(speakers[owner]!.pid, "SIGKILL");
    await speakers[owner]!.exited;
    const moved = await waitFor(
      "the client's neighbour entry points at a surviving node",
      async () => {
        const m = await client.neighbourMac(lab, "client", VIP4);
        return m && m !== mac[owner] ? m : undefined;
      },
      60_000,
      50,
    ).catch((err: Error) => {
      // What the survivors saw is the only way to tell why after the lab is gone.
      const logs = NODES.filter((n) => n !== owner)
        .map((n) => `--- ${n}\n${speakers[n]!.log().split("\n").slice(-40).join("\n")}`)
        .join("\n");
      throw new Error(`${err.message}\n${logs}`);
    });
    const survivors = NODES.filter((n) => n !== owner);
    expect(survivors.map((n) => mac[n])).toContain(moved);
  });
});
