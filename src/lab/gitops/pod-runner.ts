// The lab's stand-in for a kubelet: kwok makes the chart's Pods Ready on paper, and this runs one
// real process for each of them — the container as the chart rendered it (pod-argv.ts), with the
// Pod's Secret volumes written to disk and a token bound to that Pod, as a kubelet projects it.
// A Pod that goes away (a rollout, a deleted Pod) takes its process with it; its replacement
// gets a new one, so a values change that alters the rendered args reaches the processes.
import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Managed } from "../../sys/proc.js";
import { kubeconfig } from "../kube/identities.js";
import { containerProcess, relocate } from "./pod-argv.js";

export interface PodRunnerOptions {
  admin: KubeConfig;
  namespace: string;
  /** Selects the Pods of one workload (its Deployment's or DaemonSet's selector). */
  labelSelector: string;
  container: string;
  /** Where each Pod's files (Secrets, kubeconfig) go. */
  dir: string;
  /** The API server as the processes reach it, and its CA file. */
  server: string;
  caFile: string;
  /** Starts the process for a Pod (in the network namespace of its node). */
  spawn(pod: V1Pod, argv: string[], env: Record<string, string>): Managed;
  say?: (line: string) => void;
}

export interface RunningPod {
  pod: V1Pod;
  /** The args it was started with (the Pod's, expanded and relocated, plus --kubeconfig). */
  argv: string[];
  proc: Managed;
  exited: boolean;
}

/** Bound service account tokens are refreshed by the kubelet; the lab asks for a day. */
const TOKEN_SECONDS = 24 * 3600;

const isReady = (p: V1Pod) =>
  !p.metadata?.deletionTimestamp &&
  !!p.spec?.nodeName &&
  !!p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");

export class PodRunner {
  /** Pod UID → its process. */
  readonly running = new Map<string, RunningPod>();
  /** Why a Pod cannot start yet (a Secret not there yet), said once per reason. */
  private waiting = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();

  constructor(private readonly o: PodRunnerOptions) {}

  private get core(): CoreV1Api {
    return this.o.admin.makeApiClient(CoreV1Api);
  }

  /** Syncs now and then every `intervalMs`. */
  start(intervalMs = 2000): Promise<void> {
    const tick = () => {
      this.syncing = this.syncing.then(() => this.sync()).catch(() => undefined);
    };
    this.timer = setInterval(tick, intervalMs);
    return this.sync();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.syncing;
    await Promise.all([...this.running.values()].map((r) => r.proc.stop(3000)));
    this.running.clear();
  }

  /** The process of the Ready Pod on `node`, if one runs. */
  onNode(node: string): Managed | undefined {
    return [...this.running.values()].find((r) => r.pod.spec?.nodeName === node)?.proc;
  }

  async sync(): Promise<void> {
    const pods = (
      await this.core.listNamespacedPod({
        namespace: this.o.namespace,
        labelSelector: this.o.labelSelector,
      })
    ).items.filter(isReady);
    const wanted = new Map(pods.map((p) => [p.metadata?.uid ?? "", p]));
    for (const [uid, r] of this.running) {
      if (!wanted.has(uid) || r.exited) {
        this.running.delete(uid);
        // restartPolicy Always, as a kubelet would (without its back-off).
        if (r.exited) this.o.say?.(`${r.proc.name} exited; starting it again (${r.proc.logFile})`);
        else await r.proc.stop(3000);
      }
    }
    for (const [uid, pod] of wanted) {
      if (this.running.has(uid)) continue;
      const started = await this.startPod(pod);
      if (!started) continue;
      const entry: RunningPod = { pod, ...started, exited: false };
      const { proc } = entry;
      void proc.exited.then(() => (entry.exited = true));
      this.running.set(uid, entry);
    }
  }

  private async startPod(pod: V1Pod): Promise<{ argv: string[]; proc: Managed } | undefined> {
    const name = pod.metadata?.name ?? "";
    const container = pod.spec?.containers.find((c) => c.name === this.o.container);
    if (!container) throw new Error(`Pod ${name} has no container ${this.o.container}`);
    const { argv, env, secretMounts } = containerProcess(pod, container);
    const dir = join(this.o.dir, name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const dirs: { mountPath: string; dir: string }[] = [];
    for (const m of secretMounts) {
      const secret = await this.core
        .readNamespacedSecret({ name: m.secret, namespace: this.o.namespace })
        .catch(() => undefined);
      if (!secret) {
        const why = `waits for Secret ${m.secret}, which its volume mounts`;
        if (this.waiting.get(name) !== why) this.o.say?.(`Pod ${name} ${why}`);
        this.waiting.set(name, why);
        return undefined;
      }
      const target = join(dir, "volumes", m.secret);
      mkdirSync(target, { recursive: true, mode: 0o700 });
      for (const [key, value] of Object.entries(secret.data ?? {}))
        writeFileSync(join(target, key), Buffer.from(value, "base64"), { mode: 0o400 });
      dirs.push({ mountPath: m.mountPath, dir: target });
    }
    const sa = pod.spec?.serviceAccountName ?? "default";
    const token = (
      await this.core.createNamespacedServiceAccountToken({
        namespace: this.o.namespace,
        name: sa,
        body: {
          spec: {
            audiences: [],
            expirationSeconds: TOKEN_SECONDS,
            boundObjectRef: { apiVersion: "v1", kind: "Pod", name, uid: pod.metadata?.uid },
          },
        },
      })
    ).status?.token;
    if (!token) throw new Error(`the API server gave no token for Pod ${name}`);
    const kubeconfigFile = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfigFile,
      kubeconfig(this.o.server, readFileSync(this.o.caFile, "utf8"), { name: sa, token }),
      { mode: 0o600 },
    );
    this.waiting.delete(name);
    const args = [...relocate(argv, dirs), `--kubeconfig=${kubeconfigFile}`];
    return { argv: args, proc: this.o.spawn(pod, args, env) };
  }
}
