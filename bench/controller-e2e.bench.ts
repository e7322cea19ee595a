// End to end on the real API server: N LoadBalancer Services created at once (bounded
// concurrency), the controller as a real process under its RBAC identity. Measures the time
// until every Service has an IP, the p50/p99 from each create to its IP (client clock, seen by a
// watch), and the controller's peak RSS. A fresh cluster and controller for each N.
import type { CoreV1Api } from "@kubernetes/client-node";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtimeCommand, worktreeBundle } from "../src/lab/app-bundle.js";
import { startProcess, waitFor } from "../src/sys/proc.js";
import { parseCidr, parseIp, rangeContains } from "../src/api/formats/ip.js";
import { benchService, percentile, procMiB, whileAlive } from "./lib/controller-run.js";
import type { Benchmark, BenchContext } from "./lib/benchmark.js";
import { significant } from "./lib/figures.js";
import { IpWatch } from "./lib/ip-watch.js";
import { createPool, startCluster, withRetry } from "./lib/kube.js";
import { Cleanup } from "../src/sys/cleanup.js";
import { mapBounded } from "../src/lib/bounded.js";

const NS = "bench";
/** IPv6 because the lab API server's IPv4 ClusterIP range is a /25 (SERVICE_CIDRS). */
const POOL = "2001:db8:100::/64";
const CONCURRENCY = 50;
const SIZES = (process.env.BENCH_E2E_SIZES ?? "1000,5000").split(",").map(Number);
/** Where to write controller CPU profiles (node --cpu-prof), when set. */
const CPU_PROF_DIR = process.env.BENCH_CONTROLLER_CPU_PROF;

async function ipOf(core: CoreV1Api, name: string): Promise<string | undefined> {
  const svc = await core.readNamespacedService({ name, namespace: NS });
  return svc.status?.loadBalancer?.ingress?.[0]?.ip;
}

async function burst(n: number, ctx: BenchContext): Promise<void> {
  const stack = new Cleanup();
  const logDir = mkdtempSync(join(tmpdir(), "metallb-ts-bench-"));
  let keepLogs = true;
  try {
    const { env, admin, core } = await startCluster(stack);
    await createPool(admin, "bench", [POOL]);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    const prof = CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
    if (CPU_PROF_DIR) mkdirSync(CPU_PROF_DIR, { recursive: true });
    const controller = stack.use(
      "controller",
      startProcess(
        "controller",
        [
          ...runtimeCommand((await worktreeBundle()).file, "controller", prof),
          "controller",
          "--kubeconfig",
          env.kubeconfigs.controller,
        ],
        join(logDir, "controller.log"),
      ),
      // Long grace: a CPU profile is written on a clean exit only.
      (c) => c.stop(30_000),
    );
    // A canary Service proves the controller leads and has synced before the clock starts.
    await core.createNamespacedService({ namespace: NS, body: benchService("canary") });
    await whileAlive(
      controller,
      waitFor("the controller to assign the canary Service", () => ipOf(core, "canary"), 120_000),
    );
    const rssBefore = procMiB(controller.pid, "VmRSS");

    const watch = stack.use("Service watch", new IpWatch(admin, NS), (w) => w.stop());
    await watch.start();
    const names = Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(5, "0")}`);
    const createdAt = new Map<string, number>();
    let retries = 0;
    ctx.log(`${n} Services: creating, ${CONCURRENCY} in flight`);
    const t0 = performance.now();
    await mapBounded(names, CONCURRENCY, async (name) => {
      const r = await withRetry(`create Service ${NS}/${name}`, () =>
        core.createNamespacedService({ namespace: NS, body: benchService(name) }),
      );
      createdAt.set(name, r.startedAt);
      retries += r.retries;
    });
    const createSeconds = (performance.now() - t0) / 1000;
    ctx.log(`${n} Services: created in ${createSeconds.toFixed(1)} s; waiting for their IPs`);
    const deadline = Math.max(120_000, n * 200);
    await whileAlive(
      controller,
      waitFor(
        `all ${n} Services to get an IP`,
        () => Promise.resolve(names.every((s) => watch.seen.has(s)) ? true : undefined),
        deadline,
        100,
      ).catch((err: Error) => {
        const done = names.filter((s) => watch.seen.has(s)).length;
        throw new Error(`${err.message} (${done} of ${n} have one)`);
      }),
    );
    const peakRss = procMiB(controller.pid, "VmHWM");

    const pool = parseCidr(POOL);
    const ips = new Set<string>();
    const latencies: number[] = [];
    let last = 0;
    for (const name of names) {
      const seen = watch.seen.get(name);
      const start = createdAt.get(name);
      if (!seen || start === undefined) throw new Error(`no record for Service ${NS}/${name}`);
      const ip = parseIp(seen.ip);
      if (!pool || !ip || !rangeContains(pool, ip)) {
        throw new Error(`Service ${NS}/${name} got ${seen.ip}, which is not in pool ${POOL}`);
      }
      ips.add(seen.ip);
      latencies.push(seen.at - start);
      last = Math.max(last, seen.at);
    }
    if (ips.size !== n) throw new Error(`${n} Services got only ${ips.size} distinct IPs`);
    latencies.sort((a, b) => a - b);

    const params = {
      services: n,
      concurrency: CONCURRENCY,
      pool: POOL,
      family: "IPv6 SingleStack",
      createSeconds: significant(createSeconds),
      createRetries: retries,
      watchRestarts: watch.restarts,
      controllerRssBeforeMiB: significant(rssBefore),
      cpuProfile: Boolean(CPU_PROF_DIR),
    };
    const id = `controller-e2e-${n}`;
    ctx.record({
      name: `${id}-time-to-all`,
      unit: "s",
      value: significant((last - t0) / 1000),
      params: { ...params, from: "first create sent", to: "last IP seen by the watch" },
    });
    for (const p of [50, 99]) {
      ctx.record({
        name: `${id}-latency-p${p}`,
        unit: "ms",
        value: significant(percentile(latencies, p)),
        params: { ...params, from: "successful create request sent", to: "IP seen by the watch" },
      });
    }
    ctx.record({
      name: `${id}-controller-peak-rss`,
      unit: "MiB",
      value: significant(peakRss),
      params: { ...params, source: "/proc/<pid>/status VmHWM" },
    });
    keepLogs = false;
  } finally {
    await stack.close();
    if (keepLogs) ctx.log(`controller log kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  name: "controller-e2e",
  async run(ctx) {
    for (const n of SIZES) {
      if (!Number.isInteger(n) || n < 1) {
        throw new Error(`BENCH_E2E_SIZES must be positive integers, e.g. 1000,5000; got ${n}`);
      }
      await burst(n, ctx);
    }
  },
};
export default benchmark;
