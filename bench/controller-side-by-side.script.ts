// Our controller side by side with upstream MetalLB's (go.universe.tf/metallb v0.16.2, built by
// tools/build-upstream-controller.sh), on the same real API server, for N LoadBalancer Services
// in two orders:
//   - live:    the pool exists; N Services are created, 50 in flight; latency is create → IP;
//   - backlog: N Services wait without a pool; then the pool is created; latency is pool → IP.
// For each: the time until every Service has an IP, p50/p99 latency, the controller's CPU seconds
// (utime+stime from /proc/<pid>/stat) over that window, its peak RSS (VmHWM), and its start-up:
// process start → /readyz 200, and (live) → a canary Service's IP. Each run gets a fresh API
// server and controller.
//
// Ours runs as the esbuild bundle the controller image ships (src/images/bundle.ts), under the
// image's Node (not the machine's, not tsx) with its NODE_OPTIONS. By default the bundle is made from the committed HEAD (others may be editing
// the working tree); BENCH_SIDE_BY_SIDE_SOURCE=worktree bundles the working tree instead.
// Ours runs under its own least-privilege RBAC and our CRDs (startCluster); upstream under its
// own CRDs and RBAC (config/crd/bases, config/rbac of the module), as the same ServiceAccount
// identity (metallb-system:controller), with its webhooks and certificate rotation off and a
// Pod object to own its ConfigurationState (no kubelet runs: the Pod stays Pending).
//
// Run: npx tsx bench/controller-side-by-side.script.ts   (or npm run bench -- side-by-side)
// Env: BENCH_SIDE_BY_SIDE_SIZES=1000,5000  BENCH_SIDE_BY_SIDE_CONTROLLERS=ours,upstream
//      BENCH_SIDE_BY_SIDE_ORDERS=live,backlog  BENCH_SIDE_BY_SIDE_SOURCE=head|worktree
//      BENCH_SIDE_BY_SIDE_NODE=image|host (ours under the image's Node, the default, or this one's)
//      BENCH_SIDE_BY_SIDE_KEEP_LOGS=1 (keep every controller log; failed runs' are always kept)
import {
  CoreV1Api,
  KubernetesObjectApi,
  loadAllYaml,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseCidr, parseIp, rangeContains } from "../src/api/formats/ip.js";
import { imageOf } from "../src/images/config.js";
import { cachedAppBundle, imageNode, worktreeBundle } from "../src/lab/app-bundle.js";
import { startKube, type KubeEnv } from "../src/lab/kube/cluster.js";
import { installCrds } from "../src/lab/kube/crds.js";
import { RUNTIME_NAMESPACE } from "../src/lab/kube/identities.js";
import { mapBounded } from "../src/lib/bounded.js";
import { PooledKubeConfig } from "../src/runtime/kube/pooled-kubeconfig.js";
import { Cleanup, closeAll } from "../src/sys/cleanup.js";
import { freePort } from "../src/sys/ports.js";
import { waitFor, type Managed } from "../src/sys/proc.js";
import { cacheDir } from "../src/sys/tools.js";
import { benchService, percentile, procMiB, whileAlive } from "./lib/controller-run.js";
import { significant, writeFigure, type Measurement, type Params } from "./lib/figures.js";
import { IpWatch } from "./lib/ip-watch.js";
import { createPool, startCluster, withRetry } from "./lib/kube.js";

type Kind = "ours" | "upstream";
type Order = "live" | "backlog";

const REPO = join(import.meta.dirname, "..");
const NS = "bench";
/** IPv6 because the lab API server's IPv4 ClusterIP range is a /25 (SERVICE_CIDRS). */
const POOL = "2001:db8:100::/64";
const CONCURRENCY = 50;
const UPSTREAM_VERSION = "v0.16.2";
const UPSTREAM_BIN = join(cacheDir(), "bin", "metallb-upstream-controller");
const UPSTREAM_CONFIG = join(cacheDir(), "bin", "metallb-upstream-config");
const UPSTREAM_POD = "metallb-controller-bench";
/** What the controller image sets (src/runtime/Containerfile.controller). */
const OUR_NODE_OPTIONS = imageOf("controller").nodeOptions;
/** Where ours writes a heap snapshot once every Service has its IP (to see where memory goes). */
const HEAP_SNAPSHOT_DIR = process.env.BENCH_SIDE_BY_SIDE_HEAP_SNAPSHOT;
/**
 * Node flags put before ours on its command line (any flag, also those NODE_OPTIONS refuses:
 * --cpu-prof, V8's own), to profile it or try a setting before it goes into the image.
 */
const EXTRA_NODE_ARGS = [
  ...(process.env.BENCH_SIDE_BY_SIDE_NODE_ARGS ?? "").split(" ").filter(Boolean),
  ...(HEAP_SNAPSHOT_DIR
    ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${HEAP_SNAPSHOT_DIR}`]
    : []),
];

const list = (name: string, fallback: string): string[] =>
  (process.env[name] ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const SIZES = list("BENCH_SIDE_BY_SIDE_SIZES", "1000,5000").map(Number);
const KINDS = list("BENCH_SIDE_BY_SIDE_CONTROLLERS", "ours,upstream");
const ORDERS = list("BENCH_SIDE_BY_SIDE_ORDERS", "live,backlog");
const SOURCE = process.env.BENCH_SIDE_BY_SIDE_SOURCE ?? "head";
/** Which node runs ours: the one the image ships (default) or this machine's (`host`). */
const NODE_KIND = process.env.BENCH_SIDE_BY_SIDE_NODE ?? "image";
/** Keep every controller log, not only those of failed runs. */
const KEEP_LOGS = Boolean(process.env.BENCH_SIDE_BY_SIDE_KEEP_LOGS);
for (const n of SIZES)
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`BENCH_SIDE_BY_SIDE_SIZES must be positive integers, e.g. 1000,5000; got ${n}`);
for (const k of KINDS)
  if (k !== "ours" && k !== "upstream")
    throw new Error(`BENCH_SIDE_BY_SIDE_CONTROLLERS takes ours and/or upstream, not "${k}"`);
for (const o of ORDERS)
  if (o !== "live" && o !== "backlog")
    throw new Error(`BENCH_SIDE_BY_SIDE_ORDERS takes live and/or backlog, not "${o}"`);
if (SOURCE !== "head" && SOURCE !== "worktree")
  throw new Error(`BENCH_SIDE_BY_SIDE_SOURCE is head or worktree, not "${SOURCE}"`);

const log = (m: string) =>
  console.error(`[side-by-side ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** Signals ours to write a heap snapshot (--heapsnapshot-signal) and waits until it is written. */
async function heapSnapshot(pid: number): Promise<void> {
  const dir = HEAP_SNAPSHOT_DIR as string;
  const before = new Set(readdirSync(dir));
  process.kill(pid, "SIGUSR2");
  // The file appears at once and grows while V8 writes it: done when its size holds still.
  let last = -1;
  const file = await waitFor(
    "the heap snapshot",
    () => {
      const f = readdirSync(dir).find((n) => n.endsWith(".heapsnapshot") && !before.has(n));
      const size = f ? statSync(join(dir, f)).size : -1;
      const done = f && size > 0 && size === last ? f : undefined;
      last = size;
      return Promise.resolve(done);
    },
    120_000,
    1000,
  );
  log(`heap snapshot: ${join(dir, file)}`);
}

// ---- our bundle ------------------------------------------------------------------------------

const git = (...args: string[]): string =>
  execFileSync("git", ["-C", REPO, ...args], { encoding: "utf8" }).trim();

/**
 * The controller image's bundle (src/lab/app-bundle.ts, cached per source): of the committed
 * HEAD (default) or of the working tree, with the installed dependencies.
 */
async function ourBundle(): Promise<{ file: string; source: string }> {
  if (SOURCE !== "head") {
    const b = await worktreeBundle();
    log(`our controller: bundle of the working tree ${b.made ? "made" : "cached"} (${b.file})`);
    return { file: b.file, source: "working tree" };
  }
  const commit = git("rev-parse", "HEAD");
  const source = `commit ${commit.slice(0, 12)}`;
  const key = createHash("sha256")
    .update(readFileSync(join(REPO, "package-lock.json")))
    .update(commit)
    .digest("hex")
    .slice(0, 16);
  // The committed sources only; the installed node_modules serve the imports.
  const work = mkdtempSync(join(tmpdir(), "metallb-ts-bench-bundle-"));
  try {
    const repo = join(work, "repo");
    mkdirSync(repo);
    const tar = join(work, "src.tar");
    git("archive", "--format=tar", "-o", tar, "HEAD", "src", "package.json", "tsconfig.json");
    execFileSync("tar", ["-xf", tar, "-C", repo]);
    symlinkSync(join(REPO, "node_modules"), join(repo, "node_modules"));
    const b = await cachedAppBundle(key, repo);
    log(
      `our controller: bundle of the ${source} ` +
        (b.made ? `made in ${b.seconds.toFixed(1)} s` : "cached") +
        ` (${b.file})`,
    );
    return { file: b.file, source };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---- /proc -----------------------------------------------------------------------------------

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime+stime of a process (all its threads), in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** The machine's busy CPU seconds (all cores) from /proc/stat. */
function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce((a = 0, b = 0) => a + b, 0)! / CLK_TCK;
}

/** etcd's and kube-apiserver's PIDs, from the cluster's stale-run record. */
function controlPlanePids(env: KubeEnv): { etcd?: number; api?: number } {
  const pids = JSON.parse(readFileSync(join(env.dir, "pids.json"), "utf8")) as {
    pid: number;
    exe: string;
  }[];
  const last = (name: string) => pids.filter((p) => basename(p.exe) === name).at(-1)?.pid;
  const etcd = last("etcd");
  const api = last("kube-apiserver");
  return { ...(etcd ? { etcd } : {}), ...(api ? { api } : {}) };
}

/** CPU seconds of a set of processes, and of the whole machine, from one moment to the next. */
class CpuWindow {
  private readonly start: number[];
  private readonly machineStart = machineBusySeconds();
  constructor(private readonly pids: number[]) {
    this.start = pids.map(cpuSeconds);
  }
  /** Per process (in the constructor's order), then everything else on the machine. */
  read(): { each: number[]; rest: number } {
    const each = this.pids.map((p, i) => cpuSeconds(p) - (this.start[i] ?? 0));
    const machine = machineBusySeconds() - this.machineStart;
    return { each, rest: machine - each.reduce((a, b) => a + b, 0) };
  }
}

// ---- helpers ---------------------------------------------------------------------------------

/** performance.now() when GET /readyz first answers 200. */
function readyAt(port: number, timeoutMs: number): Promise<number> {
  return waitFor(
    `/readyz on port ${port}`,
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
        signal: AbortSignal.timeout(1000),
      });
      await res.arrayBuffer();
      return res.status === 200 ? performance.now() : undefined;
    },
    timeoutMs,
    20,
  );
}

/** Waits until the process has used under 2% of a core for two consecutive 1 s windows. */
async function quiet(pid: number, maxMs: number): Promise<number> {
  const t0 = performance.now();
  let calm = 0;
  let last = cpuSeconds(pid);
  while (calm < 2 && performance.now() - t0 < maxMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = cpuSeconds(pid);
    calm = now - last < 0.02 ? calm + 1 : 0;
    last = now;
  }
  return (performance.now() - t0) / 1000;
}

/** Minimal environment: nothing inherited (no KUBECONFIG, no tsx NODE_OPTIONS, no METALLB_*). */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/root",
  ...extra,
});

/** Upstream's RBAC (config/rbac) in the runtime namespace, as its kustomization would render it. */
async function applyUpstreamRbac(admin: KubeConfig): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(admin);
  for (const file of ["service-accounts.yaml", "role.yaml"]) {
    const docs = loadAllYaml(readFileSync(join(UPSTREAM_CONFIG, "rbac", file), "utf8"));
    for (const doc of docs as (KubernetesObject & {
      subjects?: { kind: string; namespace?: string }[];
    })[]) {
      if (!doc?.kind) continue;
      if (doc.kind !== "ClusterRole" && doc.kind !== "ClusterRoleBinding")
        doc.metadata = { ...doc.metadata, namespace: RUNTIME_NAMESPACE };
      for (const s of doc.subjects ?? [])
        if (s.kind === "ServiceAccount") s.namespace = RUNTIME_NAMESPACE;
      await api.create(doc);
    }
  }
}

interface Started {
  env: KubeEnv;
  admin: KubeConfig;
  core: CoreV1Api;
  /** Starts the controller (call once). */
  start(healthPort: number): Managed;
}

/** A fresh API server set up for one controller, which is not started yet. */
async function prepare(kind: Kind, stack: Cleanup, bundle: string): Promise<Started> {
  if (kind === "ours") {
    const { env, admin, core } = await startCluster(stack);
    return {
      env,
      admin,
      core,
      start: (healthPort) =>
        env.startPart(
          "metallb-ts-controller",
          [
            ourNode,
            ...EXTRA_NODE_ARGS,
            bundle,
            "controller",
            "--kubeconfig",
            env.kubeconfigs.controller,
            "--namespace",
            RUNTIME_NAMESPACE,
            "--identity",
            "bench",
            "--metrics-port",
            "0",
            "--health-port",
            String(healthPort),
          ],
          cleanEnv({ NODE_OPTIONS: OUR_NODE_OPTIONS }),
        ),
    };
  }
  const env = stack.use("etcd and kube-apiserver", await startKube(), (e) => e.stop());
  await installCrds(env.kubeconfigs.admin, join(UPSTREAM_CONFIG, "crd"));
  const admin = stack.use("admin client", new PooledKubeConfig(), (kc) => kc.close());
  admin.loadFromFile(env.kubeconfigs.admin);
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: RUNTIME_NAMESPACE } } });
  await applyUpstreamRbac(admin);
  // The controller reads its own Pod at start (owner of its ConfigurationState).
  await core.createNamespacedPod({
    namespace: RUNTIME_NAMESPACE,
    body: {
      metadata: { name: UPSTREAM_POD, labels: { app: "metallb", component: "controller" } },
      spec: {
        serviceAccountName: "controller",
        containers: [
          { name: "controller", image: `quay.io/metallb/controller:${UPSTREAM_VERSION}` },
        ],
      },
    },
  });
  return {
    env,
    admin,
    core,
    start: (healthPort) =>
      env.startPart(
        "metallb-upstream-controller",
        [
          UPSTREAM_BIN,
          `--kubeconfig=${env.kubeconfigs.controller}`,
          `--namespace=${RUNTIME_NAMESPACE}`,
          `--pod-name=${UPSTREAM_POD}`,
          "--port=0",
          `--health-probe-port=${healthPort}`,
          "--webhook-mode=disabled",
          "--disable-cert-rotation",
          "--log-level=info",
        ],
        cleanEnv(),
      ),
  };
}

// ---- one run ---------------------------------------------------------------------------------

interface RunResult {
  kind: Kind;
  order: Order;
  n: number;
  timeToAll: number;
  p50: number;
  p99: number;
  cpu: number;
  peakRss: number;
  readySeconds: number;
  canarySeconds?: number;
}

const keptLogs = mkdtempSync(join(tmpdir(), "metallb-ts-side-by-side-"));
let keepAnyLog = false;

async function run(kind: Kind, order: Order, n: number, bundle: string): Promise<RunResult> {
  const stack = new Cleanup();
  let controller: Managed | undefined;
  let ok = false;
  try {
    const c = await prepare(kind, stack, bundle);
    const { admin, core } = c;
    await core.createNamespace({ body: { metadata: { name: NS } } });
    if (order === "live") {
      await createPool(admin, "bench", [POOL]);
      // A canary Service proves the controller has synced and assigns before the clock starts.
      await core.createNamespacedService({ namespace: NS, body: benchService("canary") });
    }
    const watch = stack.use("Service watch", new IpWatch(admin, NS), (w) => w.stop());
    await watch.start();

    const healthPort = await freePort();
    const spawnedAt = performance.now();
    controller = c.start(healthPort);
    const proc = controller;
    const deadlineStart = 120_000;
    const readySeconds =
      ((await whileAlive(proc, readyAt(healthPort, deadlineStart))) - spawnedAt) / 1000;
    let canarySeconds: number | undefined;
    if (order === "live") {
      const seen = await whileAlive(
        proc,
        waitFor(
          "the canary Service's IP",
          () => Promise.resolve(watch.seen.get("canary")),
          deadlineStart,
          10,
        ),
      );
      canarySeconds = (seen.at - spawnedAt) / 1000;
    }
    const rssBefore = procMiB(proc.pid, "VmRSS");
    const cp = controlPlanePids(c.env);

    const names = Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(5, "0")}`);
    const startOf = new Map<string, number>();
    let retries = 0;
    let cpu: CpuWindow | undefined;
    let t0 = 0;
    let quietSeconds = 0;
    const createAll = async () => {
      await mapBounded(names, CONCURRENCY, async (name) => {
        const r = await withRetry(`create Service ${NS}/${name}`, () =>
          core.createNamespacedService({ namespace: NS, body: benchService(name) }),
        );
        startOf.set(name, r.startedAt);
        retries += r.retries;
      });
    };
    const tracked = [proc.pid, ...(cp.api ? [cp.api] : []), ...(cp.etcd ? [cp.etcd] : [])];
    let createSeconds: number;
    if (order === "live") {
      log(`${kind} ${order} ${n}: creating ${n} Services, ${CONCURRENCY} in flight`);
      cpu = new CpuWindow(tracked);
      t0 = performance.now();
      await createAll();
      createSeconds = (performance.now() - t0) / 1000;
    } else {
      log(`${kind} ${order} ${n}: creating ${n} Services without a pool`);
      const c0 = performance.now();
      await createAll();
      createSeconds = (performance.now() - c0) / 1000;
      quietSeconds = await quiet(proc.pid, 120_000);
      if (watch.seen.size) throw new Error(`${watch.seen.size} Services have an IP without a pool`);
      log(`${kind} ${order} ${n}: created in ${createSeconds.toFixed(1)} s; creating the pool`);
      cpu = new CpuWindow(tracked);
      const r = await withRetry("create the pool", () => createPool(admin, "bench", [POOL]));
      t0 = r.startedAt;
      for (const name of names) startOf.set(name, t0);
    }
    const deadline = Math.max(120_000, n * 200);
    await whileAlive(
      proc,
      waitFor(
        `all ${n} Services to get an IP`,
        () => Promise.resolve(names.every((s) => watch.seen.has(s)) ? true : undefined),
        deadline,
        50,
      ).catch((err: Error) => {
        const done = names.filter((s) => watch.seen.has(s)).length;
        throw new Error(`${err.message} (${done} of ${n} have one)`);
      }),
    );
    const used = cpu.read();
    const peakRss = procMiB(proc.pid, "VmHWM");
    if (HEAP_SNAPSHOT_DIR && kind === "ours") await heapSnapshot(proc.pid);

    const pool = parseCidr(POOL);
    const ips = new Set<string>();
    const latencies: number[] = [];
    let last = 0;
    for (const name of names) {
      const seen = watch.seen.get(name);
      const start = startOf.get(name);
      if (!seen || start === undefined) throw new Error(`no record for Service ${NS}/${name}`);
      const ip = parseIp(seen.ip);
      if (!pool || !ip || !rangeContains(pool, ip))
        throw new Error(`Service ${NS}/${name} got ${seen.ip}, which is not in pool ${POOL}`);
      ips.add(seen.ip);
      latencies.push(seen.at - start);
      last = Math.max(last, seen.at);
    }
    if (ips.size !== n) throw new Error(`${n} Services got only ${ips.size} distinct IPs`);
    latencies.sort((a, b) => a - b);
    const [ctlCpu = NaN, apiCpu, etcdCpu] = used.each;
    const result: RunResult = {
      kind,
      order,
      n,
      timeToAll: (last - t0) / 1000,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      cpu: ctlCpu,
      peakRss,
      readySeconds,
      ...(canarySeconds !== undefined ? { canarySeconds } : {}),
    };
    const params: Params = {
      controller: kind === "ours" ? `metallb-ts (${ourSource})` : `MetalLB ${UPSTREAM_VERSION}`,
      order,
      services: n,
      concurrency: CONCURRENCY,
      pool: POOL,
      family: "IPv6 SingleStack",
      createSeconds: significant(createSeconds),
      createRetries: retries,
      watchRestarts: watch.restarts,
      controllerRssBeforeMiB: significant(rssBefore),
      ...(order === "backlog" ? { quietWaitSeconds: significant(quietSeconds) } : {}),
      ...(apiCpu !== undefined ? { apiServerCpuSeconds: significant(apiCpu) } : {}),
      ...(etcdCpu !== undefined ? { etcdCpuSeconds: significant(etcdCpu) } : {}),
      // Busy CPU of everything else (this benchmark's client included): a shared machine shows.
      otherCpuSeconds: significant(used.rest),
    };
    record(result, params);
    ok = true;
    return result;
  } finally {
    if ((!ok || KEEP_LOGS) && controller) {
      keepAnyLog = true;
      const kept = join(keptLogs, `${kind}-${order}-${n}.log`);
      try {
        copyFileSync(controller.logFile, kept);
        log(`${kind} ${order} ${n}: controller log kept in ${kept}`);
      } catch {
        // no log to keep
      }
    }
    await stack.close();
  }
}

let ourSource = "";
let ourNode = process.execPath;
const figures: Measurement[] = [];

function record(r: RunResult, params: Params): void {
  const id = `controller-side-by-side-${r.n}-${r.order}-${r.kind}`;
  const from = r.order === "live" ? "successful create request sent" : "pool create request sent";
  const write = (suffix: string, unit: string, value: number, extra: Params = {}) => {
    const m = {
      name: `${id}-${suffix}`,
      unit,
      value: significant(value),
      params: { ...params, ...extra },
    };
    writeFigure(m);
    figures.push(m);
  };
  write("time-to-all", "s", r.timeToAll, {
    from: r.order === "live" ? "first create sent" : "pool create sent",
    to: "last IP seen by the watch",
  });
  write("latency-p50", "ms", r.p50, { from, to: "IP seen by the watch" });
  write("latency-p99", "ms", r.p99, { from, to: "IP seen by the watch" });
  write("cpu", "s", r.cpu, {
    source: "/proc/<pid>/stat utime+stime",
    window: "time-to-all window",
  });
  write("peak-rss", "MiB", r.peakRss, { source: "/proc/<pid>/status VmHWM" });
  write("start-to-ready", "s", r.readySeconds, { from: "process spawned", to: "/readyz 200" });
  if (r.canarySeconds !== undefined)
    write("start-to-canary-ip", "s", r.canarySeconds, {
      from: "process spawned",
      to: "canary Service's IP seen by the watch (pool and Service existed before the start)",
    });
  log(
    `${r.kind} ${r.order} ${r.n}: all IPs in ${r.timeToAll.toFixed(2)} s, p50 ${r.p50.toFixed(0)} ms, ` +
      `p99 ${r.p99.toFixed(0)} ms, CPU ${r.cpu.toFixed(2)} s, peak RSS ${r.peakRss.toFixed(0)} MiB, ` +
      `ready ${r.readySeconds.toFixed(2)} s` +
      (r.canarySeconds !== undefined ? `, canary IP ${r.canarySeconds.toFixed(2)} s` : ""),
  );
}

/** Ours next to upstream, one row per size, order and metric. */
function sideBySide(results: RunResult[]): string {
  const metrics: [string, string, (r: RunResult) => number | undefined][] = [
    ["time to all IPs", "s", (r) => r.timeToAll],
    ["latency p50", "ms", (r) => r.p50],
    ["latency p99", "ms", (r) => r.p99],
    ["controller CPU", "s", (r) => r.cpu],
    ["peak RSS", "MiB", (r) => r.peakRss],
    ["start → /readyz", "s", (r) => r.readySeconds],
    ["start → canary IP", "s", (r) => r.canarySeconds],
  ];
  const rows = [["services", "order", "metric", "ours", "upstream", "ours/upstream"]];
  for (const n of SIZES)
    for (const order of ORDERS)
      for (const [label, unit, get] of metrics) {
        const find = (k: Kind) => {
          const r = results.find((x) => x.n === n && x.order === order && x.kind === k);
          return r ? get(r) : undefined;
        };
        const [o, u] = [find("ours"), find("upstream")];
        if (o === undefined && u === undefined) continue;
        const cell = (v: number | undefined) =>
          v === undefined ? "-" : `${significant(v, 3)} ${unit}`;
        rows.push([
          String(n),
          order,
          label,
          cell(o),
          cell(u),
          o !== undefined && u ? `${significant(o / u, 2)}×` : "-",
        ]);
      }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

// ---- main ------------------------------------------------------------------------------------

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    log(`${signal}; stopping what this benchmark started`);
    void closeAll().finally(() => process.exit(code));
  });
}

const kinds = KINDS.filter((k): k is Kind => {
  if (k !== "upstream" || existsSync(UPSTREAM_BIN)) return true;
  log(
    `upstream MetalLB controller not built (${UPSTREAM_BIN} is missing): skipping upstream. ` +
      "Build it with `bash tools/build-upstream-controller.sh` (Go module proxy, several minutes).",
  );
  return false;
});
let bundleFile = "";
if (kinds.includes("ours")) {
  const b = await ourBundle();
  bundleFile = b.file;
  ourSource = b.source;
  if (NODE_KIND !== "host") ourNode = await imageNode(log);
  ourSource += `, node ${execFileSync(ourNode, ["--version"], { encoding: "utf8" }).trim()}`;
  log(`our controller runs under ${ourNode} (${ourSource})`);
}

const results: RunResult[] = [];
let failed = 0;
try {
  for (const n of SIZES)
    for (const order of ORDERS as Order[])
      for (const kind of kinds) {
        log(`${kind} ${order} ${n}: start`);
        try {
          results.push(await run(kind, order, n, bundleFile));
        } catch (err) {
          failed++;
          log(
            `${kind} ${order} ${n}: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
          );
        }
      }
} finally {
  if (!keepAnyLog) rmSync(keptLogs, { recursive: true, force: true });
}
if (results.length) console.log(sideBySide(results));
// Client keep-alive agents may hold the loop open.
process.exit(failed ? 1 : 0);
