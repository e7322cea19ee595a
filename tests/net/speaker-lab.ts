// The end-to-end lab shared by the speaker tests (L2 and BGP) and the speaker benchmarks: a real
// API server, the controller as a process, one `metallb-ts speaker` process per node namespace
// (reaching the API server through a Unix socket bridge) and a client host on the same bridge,
// plus whatever other hosts a test needs there (a router, a foreign host).
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
import { createRequire } from "node:module";
import type { Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { serveUnixToTcp } from "../../src/lab/kube/api-bridge.js";
import { startKube, type KubeEnv } from "../../src/lab/kube/cluster.js";
import { installCrds } from "../../src/lab/kube/crds.js";
import { grantRbac } from "../../src/lab/kube/rbac.js";
import { client, Lab, type Topology } from "../../src/lab/net/index.js";
import { waitFor, type Managed } from "../../src/sys/proc.js";
import { SPEAKER_CLUSTER_RULES, SPEAKER_NAMESPACE_RULES } from "../../src/api/rbac/speaker.js";
import { makeHarness, type Harness } from "../kube/controller-harness.js";

export const SYSTEM = "metallb-system";
export const NODES = ["n1", "n2", "n3"] as const;
/** Speakers serve /metrics on this port inside their own namespace. */
export const METRICS_PORT = 7474;

const bin = fileURLToPath(new URL("../../bin/metallb-ts.js", import.meta.url));
const bridgeScript = fileURLToPath(new URL("../../src/lab/kube/api-bridge.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export const nodeAddress = (node: string): string => `192.0.2.${11 + NODES.indexOf(node as never)}`;
export const nodeAddress6 = (node: string): string =>
  `2001:db8::${11 + NODES.indexOf(node as never)}`;

const host = (name: string, n: number) => ({
  name,
  links: [{ segment: "lan", addresses: [`192.0.2.${n}/24`, `2001:db8::${n}/64`] }],
});

export interface SpeakerClusterOptions {
  /** Hosts besides n1..n3 and the client on the lan segment (a router, a foreign host). */
  extraHosts?: Topology["hosts"];
  /** Namespaces to create besides metallb-system. */
  namespaces?: string[];
  /** Extra speaker flags. */
  speakerArgs?: string[];
  /** Runs before the speakers start (e.g. a router they should find up). */
  beforeSpeakers?: (lab: Lab) => Promise<void>;
  /** API server audit log (see KubeEnv.auditLog), for counting the speakers' requests. */
  audit?: boolean;
}

export class SpeakerCluster {
  readonly speakers: Record<string, Managed> = {};
  readonly mac: Record<string, string> = {};
  private controller: Managed | undefined;

  private constructor(
    readonly env: KubeEnv,
    readonly admin: KubeConfig,
    readonly lab: Lab,
    readonly h: Harness,
    private readonly bridge: Server,
    private readonly keyFile: string,
    private readonly speakerArgs: string[],
  ) {}

  get core(): CoreV1Api {
    return this.admin.makeApiClient(CoreV1Api);
  }
  get custom(): CustomObjectsApi {
    return this.admin.makeApiClient(CustomObjectsApi);
  }

  static async start(opts: SpeakerClusterOptions = {}): Promise<SpeakerCluster> {
    const env = await startKube({ audit: opts.audit ?? false });
    let lab: Lab | undefined;
    let bridge: Server | undefined;
    try {
      await installCrds(env.kubeconfigs.admin, join(import.meta.dirname, "../../config/crd"));
      const admin = new KubeConfig();
      admin.loadFromFile(env.kubeconfigs.admin);
      const core = admin.makeApiClient(CoreV1Api);
      for (const name of [SYSTEM, ...(opts.namespaces ?? [])])
        await core.createNamespace({ body: { metadata: { name } } });
      const h = makeHarness(admin, env.kubeconfigs.controller);
      await h.grantControllerRbac(SYSTEM);
      await grantRbac(admin, {
        serviceAccount: "speaker",
        clusterRules: SPEAKER_CLUSTER_RULES,
        namespaceRules: SPEAKER_NAMESPACE_RULES,
      });
      for (const name of NODES) {
        await core.createNode({
          body: { metadata: { name, labels: { "kubernetes.io/hostname": name } } },
        });
        await core.patchNodeStatus(
          {
            name,
            body: { status: { addresses: [{ type: "InternalIP", address: nodeAddress(name) }] } },
          },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
      }
      lab = await Lab.create({
        segments: ["lan"],
        hosts: [
          host("n1", 11),
          host("n2", 12),
          host("n3", 13),
          host("client", 2),
          ...(opts.extraHosts ?? []),
        ],
      });
      const port = Number(new URL(env.server).port);
      const sock = join(lab.dir, "api.sock");
      bridge = await serveUnixToTcp(sock, port);
      const keyFile = join(lab.dir, "heartbeat.key");
      writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
      await opts.beforeSpeakers?.(lab);
      const c = new SpeakerCluster(env, admin, lab, h, bridge, keyFile, opts.speakerArgs ?? []);
      for (const node of NODES) {
        lab.spawn(node, `api-bridge-${node}`, [
          process.execPath,
          "--import",
          tsx,
          bridgeScript,
          String(port),
          sock,
        ]);
        c.mac[node] = (await lab.exec(node, ["cat", "/sys/class/net/eth0/address"])).trim();
        c.startSpeaker(node);
      }
      c.controller = h.startController({
        identity: "speaker-e2e",
        configNamespace: SYSTEM,
        logDir: lab.dir,
      });
      return c;
    } catch (err) {
      await lab?.destroy();
      bridge?.close();
      await env.stop();
      throw err;
    }
  }

  startSpeaker(node: string): Managed {
    const proc = this.lab.spawn(node, `speaker-${node}-${Date.now()}`, [
      process.execPath,
      bin,
      "speaker",
      "--node-name",
      node,
      "--kubeconfig",
      this.env.kubeconfigs.speaker,
      "--metrics-port",
      String(METRICS_PORT),
      "--health-port",
      "0",
      "--heartbeat-key-file",
      this.keyFile,
      "--heartbeat-address",
      nodeAddress(node),
      ...this.speakerArgs,
    ]);
    this.speakers[node] = proc;
    return proc;
  }

  /** A pool and an L2Advertisement (optionally limited to interfaces) named `name`. */
  async advertise(name: string, addresses: string[], interfaces?: string[]): Promise<void> {
    await this.h.createPool(SYSTEM, name, { addresses });
    await this.custom.createNamespacedCustomObject({
      group: "metallb.io",
      version: "v1beta1",
      namespace: SYSTEM,
      plural: "l2advertisements",
      body: {
        apiVersion: "metallb.io/v1beta1",
        kind: "L2Advertisement",
        metadata: { name },
        spec: { ipAddressPools: [name], ...(interfaces ? { interfaces } : {}) },
      },
    });
  }

  /** A LoadBalancer Service with one ready endpoint on n1. */
  async service(
    namespace: string,
    name: string,
    family: "IPv4" | "IPv6",
    annotations: Record<string, string> = {},
  ): Promise<void> {
    await this.h.lbService(namespace, name, { annotations, spec: { ipFamilies: [family] } });
    await this.admin.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace,
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

  /** The ServiceL2Status objects of a Service. */
  async l2Statuses(service: string): Promise<L2StatusObject[]> {
    const list = (await this.custom.listNamespacedCustomObject({
      group: "metallb.io",
      version: "v1beta1",
      namespace: SYSTEM,
      plural: "servicel2statuses",
      labelSelector: `metallb.io/service-name=${service}`,
    })) as { items: L2StatusObject[] };
    return list.items;
  }

  /** The node that holds the Service's only ServiceL2Status. */
  async l2Owner(service: string): Promise<string | undefined> {
    const nodes = (await this.l2Statuses(service)).map((i) => i.status?.node).filter(Boolean);
    return nodes.length === 1 ? nodes[0] : undefined;
  }

  /** Waits until every running speaker holds its Lease. */
  async waitForLeases(count: number): Promise<void> {
    const coordination = this.admin.makeApiClient(CoordinationV1Api);
    await waitFor(
      `${count} speaker Leases`,
      async () =>
        (await coordination.listNamespacedLease({ namespace: SYSTEM })).items.filter((l) =>
          l.metadata?.name?.startsWith("metallb-speaker-"),
        ).length === count || undefined,
      60_000,
    );
  }

  /** Waits until the client's neighbour entry for `vip` names another node than `from`. */
  async waitEntryMoved(vip: string, from: string): Promise<string> {
    return waitFor(
      "the client's neighbour entry points at a surviving node",
      async () => {
        const m = await client.neighbourMac(this.lab, "client", vip);
        return m && m !== this.mac[from] ? m : undefined;
      },
      60_000,
      50,
    ).catch((err: Error) => {
      // What the survivors saw is the only way to tell why after the lab is gone.
      throw new Error(`${err.message}\n${this.logs(NODES.filter((n) => n !== from))}`);
    });
  }

  /** A speaker's /metrics, read from inside its namespace. */
  metrics(node: string): Promise<string> {
    return this.lab.exec(node, ["curl", "-sf", `http://127.0.0.1:${METRICS_PORT}/metrics`]);
  }

  /** The last lines of each speaker's log, for failure messages. */
  logs(nodes: readonly string[] = NODES, lines = 40): string {
    return nodes
      .map((n) => `--- ${n}\n${this.speakers[n]?.log().split("\n").slice(-lines).join("\n")}`)
      .join("\n");
  }

  async stop(): Promise<void> {
    await this.controller?.stop();
    await this.lab.destroy();
    this.bridge.close();
    await this.env.stop();
  }
}

export interface L2StatusObject {
  metadata: { name: string };
  status?: {
    node?: string;
    interfaces?: { name: string }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

/** Sum of a metric's samples whose labels include all of `labels`. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
