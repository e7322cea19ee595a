// The one lab cluster builder, used by `npm start`, the end-to-end tests and the benchmarks: a
// real control plane (etcd + kube-apiserver, RBAC on, the CRDs), the runtime namespace and both
// components' least-privilege RBAC, Node objects, and — when asked — a network lab with one host
// per node, the controller as a process and one `metallb-ts speaker` per node inside that node's
// namespace (reaching the API server through a Unix socket bridge). Every step registers its undo
// with the Cleanup before the next one starts.
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SPEAKER_CLUSTER_RULES, SPEAKER_NAMESPACE_RULES } from "../api/rbac/speaker.js";
import { SPEAKER_LEASE_PREFIX } from "../api/rbac/speaker-leases.js";
import { DEFAULT_PORTS } from "../api/ports.js";
import { PooledKubeConfig } from "../runtime/kube/pooled-kubeconfig.js";
import type { Cleanup } from "../sys/cleanup.js";
import { waitFor, type Managed } from "../sys/proc.js";
import { runtimeCommand, worktreeBundle } from "./app-bundle.js";
import { namespaceEndArgv, serveUnixToTcp } from "./kube/api-bridge.js";
import { startKube, type KubeEnv } from "./kube/cluster.js";
import { installCrds } from "./kube/crds.js";
import { makeHarness, type ControllerProcess, type Harness } from "./kube/harness.js";
import { RUNTIME_NAMESPACE } from "./kube/identities.js";
import { grantRbac } from "./kube/rbac.js";
import { startFrrNode, type FrrNode, type FrrNodeOptions } from "./net/frr-node.js";
import { client, Lab, type Topology } from "./net/index.js";

const CRD_DIR = fileURLToPath(new URL("../../config/crd", import.meta.url));

export interface ClusterNode {
  name: string;
  ipv4: string;
  ipv6?: string;
}

export interface LabClusterOptions {
  /** Namespaces to create besides the runtime namespace. */
  namespaces?: string[];
  /** Kubernetes Node objects, with the InternalIPs a kubelet would report. */
  nodes?: ClusterNode[];
  /** API server audit log (see KubeEnv.auditLog), for counting a component's requests. */
  audit?: boolean;
  /**
   * A network lab: each node a host on the "lan" segment (a /24 and a /64), plus these hosts.
   * Needed for speakers.
   */
  network?: { hosts?: Topology["hosts"] };
  /** Runs once the network lab exists, before any speaker starts (e.g. a router to peer with). */
  beforeSpeakers?: (lab: Lab) => Promise<void>;
  /**
   * One speaker per node, with these extra flags; with heartbeats (a fresh shared key) unless
   * `heartbeats` is false.
   */
  speakers?: {
    args?: string[];
    heartbeats?: boolean;
    /** A command each node's speaker runs under (e.g. faketime for a skewed clock), by node. */
    wrap?: Record<string, string[]>;
    /** FRR mode: FRR and its agent beside each speaker, as the chart's FRR sidecar. */
    frr?: boolean | FrrNodeOptions;
  };
  /** The controller as a process. */
  controller?: Omit<ControllerProcess, "configNamespace" | "logDir">;
  /** Progress lines (npm start prints them). */
  say?: (line: string) => void;
}

export interface L2StatusObject {
  metadata: { name: string };
  status?: {
    node?: string;
    interfaces?: { name: string }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class LabCluster {
  readonly speakers: Record<string, Managed> = {};
  /** Each node's FRR (FRR mode only), by node name. */
  readonly frr: Record<string, FrrNode> = {};
  /** The MAC of each node's LAN interface, by node name. */
  readonly macs: Record<string, string> = {};
  controller: Managed | undefined;
  /** The cluster's heartbeat key, as every node's key directory starts with. */
  private key = Buffer.alloc(0);

  private constructor(
    readonly env: KubeEnv,
    readonly admin: PooledKubeConfig,
    readonly harness: Harness,
    private readonly opts: LabClusterOptions,
    /** The runtime bundle the processes run (src/lab/app-bundle.ts). */
    private readonly bundle: string,
    private readonly network?: Lab,
  ) {}

  get core(): CoreV1Api {
    return this.admin.makeApiClient(CoreV1Api);
  }

  get custom(): CustomObjectsApi {
    return this.admin.makeApiClient(CustomObjectsApi);
  }

  /** The network lab (absent without `network`). */
  get lab(): Lab {
    if (!this.network) throw new Error("this lab cluster was started without a network");
    return this.network;
  }

  get nodes(): ClusterNode[] {
    return this.opts.nodes ?? [];
  }

  static async start(cleanup: Cleanup, opts: LabClusterOptions = {}): Promise<LabCluster> {
    const say = opts.say ?? (() => undefined);
    const bundle = await worktreeBundle();
    if (bundle.made) say(`bundled the runtime in ${bundle.seconds.toFixed(1)} s`);
    say("starting etcd and kube-apiserver");
    const env = cleanup.use(
      "etcd and kube-apiserver",
      await startKube({ audit: opts.audit ?? false }),
      (e) => e.stop(),
    );
    await installCrds(env.kubeconfigs.admin, CRD_DIR);
    const admin = cleanup.use("admin client", new PooledKubeConfig(), (kc) => kc.close());
    admin.loadFromFile(env.kubeconfigs.admin);
    const core = admin.makeApiClient(CoreV1Api);
    for (const name of [RUNTIME_NAMESPACE, ...(opts.namespaces ?? [])])
      await core.createNamespace({ body: { metadata: { name } } });
    const harness = makeHarness(
      admin,
      env.kubeconfigs.controller,
      runtimeCommand(bundle.file, "controller"),
    );
    await harness.grantControllerRbac(RUNTIME_NAMESPACE);
    await grantRbac(admin, {
      serviceAccount: "speaker",
      clusterRules: SPEAKER_CLUSTER_RULES,
      namespaceRules: SPEAKER_NAMESPACE_RULES,
    });
    for (const node of opts.nodes ?? []) await createNode(core, node);

    let lab: Lab | undefined;
    if (opts.network) {
      say(`building the network lab (${(opts.nodes ?? []).length} nodes and their neighbours)`);
      const host = (n: ClusterNode) => ({
        name: n.name,
        links: [
          {
            segment: "lan",
            addresses: [`${n.ipv4}/24`, ...(n.ipv6 ? [`${n.ipv6}/64`] : [])],
          },
        ],
      });
      lab = await Lab.create({
        segments: ["lan"],
        hosts: [...(opts.nodes ?? []).map(host), ...(opts.network.hosts ?? [])],
      });
      await cleanup.add("network lab", () => lab?.destroy());
    }
    const c = new LabCluster(env, admin, harness, opts, bundle.file, lab);
    if (lab) await c.startNodes(cleanup, lab);
    if (opts.controller) {
      const controller = c.startController(opts.controller, lab?.dir ?? env.dir);
      await cleanup.add("controller", () => controller.stop());
    }
    return c;
  }

  /** The API bridge into every node's namespace, then the speakers (when asked). */
  private async startNodes(cleanup: Cleanup, lab: Lab): Promise<void> {
    // Node namespaces have no route to the host's loopback: the API server is reached through a
    // Unix socket (src/lab/kube/api-bridge.ts).
    const port = Number(new URL(this.env.server).port);
    const sock = join(lab.dir, "api.sock");
    const bridge = await serveUnixToTcp(sock, port);
    await cleanup.add("API bridge", () => new Promise<void>((done) => bridge.close(() => done())));
    this.key = randomBytes(32);
    for (const node of this.nodes) {
      mkdirSync(this.keyDir(node.name), { recursive: true, mode: 0o700 });
      writeFileSync(join(this.keyDir(node.name), "key"), this.key, { mode: 0o600 });
    }
    await this.opts.beforeSpeakers?.(lab);
    // Registered after the bridge, so speakers stop while they can still reach the API server.
    await cleanup.add("speakers", async () => {
      await Promise.all(Object.values(this.speakers).map((s) => s.stop(3000)));
    });
    if (this.opts.speakers) this.opts.say?.("starting a speaker in each node");
    for (const node of this.nodes) {
      lab.spawn(node.name, `api-bridge-${node.name}`, namespaceEndArgv(port, sock));
      this.macs[node.name] = (
        await lab.exec(node.name, ["cat", "/sys/class/net/eth0/address"])
      ).trim();
      const frr = this.opts.speakers?.frr;
      if (frr) {
        this.frr[node.name] = await startFrrNode(lab, node.name, frr === true ? {} : frr);
      }
      if (this.opts.speakers) this.startSpeaker(node.name);
    }
  }

  /**
   * The node's heartbeat key directory, as the chart mounts the key Secret: `key` seals,
   * `accept*` files are accepted too (a test rotates keys by editing it).
   */
  keyDir(node: string): string {
    return join(this.lab.dir, "keys", node);
  }

  /** A speaker process in the node's namespace (again, after a test stopped it). */
  startSpeaker(name: string, extraArgs: string[] = []): Managed {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no lab node ${name}`);
    const proc = this.lab.spawn(name, `speaker-${name}-${Date.now()}`, [
      ...(this.opts.speakers?.wrap?.[name] ?? []),
      ...runtimeCommand(this.bundle, "speaker"),
      "speaker",
      "--node-name",
      name,
      "--kubeconfig",
      this.env.kubeconfigs.speaker,
      "--namespace",
      RUNTIME_NAMESPACE,
      "--metrics-port",
      String(DEFAULT_PORTS.speakerMetrics),
      "--health-port",
      "0",
      ...(this.opts.speakers?.heartbeats === false
        ? []
        : [
            "--heartbeat-key-file",
            join(this.keyDir(name), "key"),
            "--heartbeat-address",
            node.ipv4,
          ]),
      ...(this.frr[name]
        ? ["--bgp-backend", "frr", "--frr-agent-socket", this.frr[name].socket]
        : []),
      ...(this.opts.speakers?.args ?? []),
      ...extraArgs,
    ]);
    this.speakers[name] = proc;
    return proc;
  }

  private startController(
    p: Omit<ControllerProcess, "configNamespace" | "logDir">,
    logDir: string,
  ): Managed {
    this.controller = this.harness.startController({
      ...p,
      configNamespace: RUNTIME_NAMESPACE,
      logDir,
    });
    return this.controller;
  }

  /** A pool and an L2Advertisement (optionally limited to interfaces) named `name`. */
  async advertise(name: string, addresses: string[], interfaces?: string[]): Promise<void> {
    await this.harness.createPool(RUNTIME_NAMESPACE, name, { addresses });
    await this.harness.createConfig(RUNTIME_NAMESPACE, "L2Advertisement", name, {
      ipAddressPools: [name],
      ...(interfaces ? { interfaces } : {}),
    });
  }

  /** A LoadBalancer Service with one ready endpoint on the first node. */
  async service(
    namespace: string,
    name: string,
    family: "IPv4" | "IPv6",
    annotations: Record<string, string> = {},
  ): Promise<void> {
    await this.harness.lbService(namespace, name, { annotations, spec: { ipFamilies: [family] } });
    await this.admin.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace,
      body: {
        metadata: { name: `${name}-1`, labels: { "kubernetes.io/service-name": name } },
        addressType: family,
        endpoints: [
          {
            addresses: [family === "IPv4" ? "192.0.2.50" : "2001:db8::50"],
            nodeName: this.nodes[0]?.name ?? "",
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
      namespace: RUNTIME_NAMESPACE,
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

  /**
   * Waits until `count` speakers hold their Lease. On a time-out the error carries the speakers'
   * last log lines (a loaded CI machine once missed the minute; the logs say why next time).
   */
  async waitForLeases(count: number, timeoutMs = 120_000): Promise<void> {
    const coordination = this.admin.makeApiClient(CoordinationV1Api);
    try {
      await waitFor(
        `${count} speaker Leases`,
        async () =>
          (await coordination.listNamespacedLease({ namespace: RUNTIME_NAMESPACE })).items.filter(
            (l) => l.metadata?.name?.startsWith(SPEAKER_LEASE_PREFIX),
          ).length === count || undefined,
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\nspeaker logs:\n${this.logs()}`, { cause: err });
    }
  }

  /** Waits until the client's neighbour entry for `vip` names another node than `from`. */
  async waitEntryMoved(vip: string, from: string, clientHost = "client"): Promise<string> {
    return waitFor(
      "the client's neighbour entry points at a surviving node",
      async () => {
        const m = await client.neighbourMac(this.lab, clientHost, vip);
        return m && m !== this.macs[from] ? m : undefined;
      },
      60_000,
      50,
    ).catch((err: Error) => {
      // What the survivors saw is the only way to tell why after the lab is gone.
      const others = this.nodes.map((n) => n.name).filter((n) => n !== from);
      throw new Error(`${err.message}\n${this.logs(others)}`);
    });
  }

  /**
   * A speaker's /metrics, read from inside its namespace as Prometheus would: HTTPS, with a
   * token the API server authorizes (the admin's).
   */
  metrics(node: string): Promise<string> {
    return this.lab.exec(node, [
      "curl",
      "-sfk",
      "-H",
      `Authorization: Bearer ${this.admin.getCurrentUser()?.token ?? ""}`,
      `https://127.0.0.1:${DEFAULT_PORTS.speakerMetrics}/metrics`,
    ]);
  }

  /** The last lines of each speaker's log, for failure messages. */
  logs(nodes: readonly string[] = this.nodes.map((n) => n.name), lines = 40): string {
    return nodes
      .map((n) => `--- ${n}\n${this.speakers[n]?.log().split("\n").slice(-lines).join("\n")}`)
      .join("\n");
  }
}

async function createNode(core: CoreV1Api, node: ClusterNode): Promise<void> {
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
            ...(node.ipv6 ? [{ type: "InternalIP", address: node.ipv6 }] : []),
          ],
        },
      },
    },
    mergePatch,
  );
}

/** Sum of a metric's samples whose labels include all of `labels` (Prometheus text format). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
