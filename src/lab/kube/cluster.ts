// A real control plane for tests and the lab: etcd + kube-apiserver on loopback, RBAC on,
// token identities for admin/controller/speaker, the generated CRDs installed.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { cachedTool } from "../../sys/tools.js";
import { freePort } from "../../sys/ports.js";
import { isAlive, isOurProcess, startProcess, waitFor, type Managed } from "../../sys/proc.js";
import { kubeconfig, makeIdentities, tokenFile, type Identity } from "./identities.js";

export const KUBE_STATE_ROOT = "/tmp/metallb-ts-kube";

/** Service ClusterIP ranges: documentation space, never routed (docs/testing.md). */
export const SERVICE_CIDRS = ["198.51.100.0/25", "2001:db8:ffff::/112"];

export interface KubeEnv {
  server: string;
  dir: string;
  /** Paths of kubeconfig files, one per identity. */
  kubeconfigs: Record<Identity["name"], string>;
  stop(): Promise<void>;
  /** Restarts kube-apiserver (etcd keeps the data), e.g. for fault tests. */
  restartApiServer(): Promise<void>;
  /** Stops kube-apiserver (an outage); startApiServer brings it back with the same data. */
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  /** The audit log (JSON lines, one per completed request) when started with `audit: true`. */
  auditLog?: string;
  /** The ServiceAccount token signing key (for kube-controller-manager). */
  serviceAccountKey: string;
  /** The API server's serving certificate (the cluster's CA for in-cluster clients). */
  caFile: string;
  /**
   * Starts a process that belongs to this cluster (controller-manager, kwok, Flux): recorded
   * for the stale-run sweep and stopped, newest first, before the API server on stop().
   */
  startPart(name: string, argv: string[], env?: NodeJS.ProcessEnv): Managed;
  /** The last lines of every part's log, to explain a failed start. */
  partLogs(lines: number): string;
}

export interface KubeOptions {
  /**
   * Write an audit log of every request at Metadata level (user, verb, resource), e.g. to count
   * one component's API requests in a benchmark. Off by default: it costs disk writes.
   */
  audit?: boolean;
}

// Only completed requests are logged: one line per request, watches included once they end.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
`;

interface PidRecord {
  pid: number;
  exe: string;
}

/** Stops processes and removes state left by runs whose owner process has died. */
export function sweepStaleKube(root = KUBE_STATE_ROOT): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(root);
  } catch {
    return;
  }
  for (const entry of entries) {
    const owner = Number(entry.split("-")[0]);
    if (Number.isInteger(owner) && isAlive(owner)) continue;
    const dir = join(root, entry);
    try {
      const pids = JSON.parse(readFileSync(join(dir, "pids.json"), "utf8")) as PidRecord[];
      for (const p of pids) if (isOurProcess(p.pid, p.exe)) process.kill(p.pid, "SIGKILL");
    } catch {
      // no record: nothing was started
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function getStatus(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function waitHealthy(
  what: string,
  proc: Managed,
  probe: () => Promise<boolean>,
): Promise<void> {
  const died = proc.exited.then((code) => {
    const tail = proc.log().split("\n").slice(-15).join("\n");
    throw new Error(
      `${proc.name} exited (${code}) during start-up; last log lines:\n${tail}\n(log: ${proc.logFile})`,
    );
  });
  const ready = waitFor(
    what,
    async () => ((await probe().catch(() => false)) ? true : undefined),
    120_000,
    250,
  );
  await Promise.race([ready, died]);
  died.catch(() => undefined); // later exits are the caller's business
}

export async function startKube(opts: KubeOptions = {}): Promise<KubeEnv> {
  sweepStaleKube();
  const dir = join(KUBE_STATE_ROOT, `${process.pid}-${randomBytes(4).toString("hex")}`);
  mkdirSync(join(dir, "certs"), { recursive: true });
  const etcdBin = cachedTool("etcd");
  const apiBin = cachedTool("kube-apiserver");
  const pids: PidRecord[] = [];
  const record = (m: Managed, exe: string) => {
    pids.push({ pid: m.pid, exe });
    writeFileSync(join(dir, "pids.json"), JSON.stringify(pids));
  };

  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcd = startProcess(
    "etcd",
    [
      etcdBin,
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    join(dir, "etcd.log"),
  );
  record(etcd, etcdBin);

  const ids = makeIdentities();
  const admin = ids.find((i) => i.name === "admin")!;
  writeFileSync(join(dir, "tokens.csv"), tokenFile(ids), { mode: 0o600 });
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
  writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));

  const server = `https://127.0.0.1:${apiPort}`;
  const apiArgs = [
    apiBin,
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    // The default reconciler refuses a loopback advertise address; nothing needs the endpoints.
    "--endpoint-reconciler-type=none",
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, "certs")}`,
    "--authorization-mode=RBAC",
    `--token-auth-file=${join(dir, "tokens.csv")}`,
    "--service-account-issuer=https://kubernetes.default.svc",
    `--service-account-key-file=${join(dir, "sa.pub")}`,
    `--service-account-signing-key-file=${join(dir, "sa.key")}`,
    `--service-cluster-ip-range=${SERVICE_CIDRS.join(",")}`,
    // No controller-manager runs, so nothing would create the ServiceAccounts this plugin wants.
    "--disable-admission-plugins=ServiceAccount",
    "--allow-privileged=true",
    "--v=1",
  ];
  const auditLog = opts.audit ? join(dir, "audit.log") : undefined;
  if (auditLog) {
    writeFileSync(join(dir, "audit-policy.yaml"), AUDIT_POLICY);
    apiArgs.push(
      `--audit-policy-file=${join(dir, "audit-policy.yaml")}`,
      `--audit-log-path=${auditLog}`,
      "--audit-log-format=json",
      // Written as requests complete, so a benchmark window can be read at its end.
      "--audit-log-mode=blocking",
    );
  }
  let api = startProcess("kube-apiserver", apiArgs, join(dir, "kube-apiserver.log"));
  record(api, apiBin);

  await waitHealthy("etcd /health", etcd, async () => {
    const res = await fetch(`${etcdUrl}/health`);
    return res.ok;
  });
  const apiReady = async () =>
    waitHealthy(
      "kube-apiserver /readyz",
      api,
      async () => (await getStatus(`${server}/readyz`, admin.token)) === 200,
    );
  await apiReady();

  const caPem = readFileSync(join(dir, "certs", "apiserver.crt"), "utf8");
  const kubeconfigs = {} as Record<Identity["name"], string>;
  for (const id of ids) {
    const path = join(dir, `${id.name}.kubeconfig`);
    writeFileSync(path, kubeconfig(server, caPem, id), { mode: 0o600 });
    kubeconfigs[id.name] = path;
  }

  const parts: Managed[] = [];
  let apiRunning = true;
  /** Starts kube-apiserver unless it runs (a test's cleanup may call this after the test did). */
  const startApi = async (): Promise<void> => {
    if (apiRunning) return;
    api = startProcess("kube-apiserver", apiArgs, join(dir, "kube-apiserver.log"));
    apiRunning = true;
    record(api, apiBin);
    await apiReady();
  };
  const stopApi = async (): Promise<void> => {
    apiRunning = false;
    await api.stop();
  };

  return {
    server,
    dir,
    kubeconfigs,
    ...(auditLog ? { auditLog } : {}),
    async restartApiServer() {
      await stopApi();
      await startApi();
    },
    stopApiServer: stopApi,
    startApiServer: startApi,
    serviceAccountKey: join(dir, "sa.key"),
    caFile: join(dir, "certs", "apiserver.crt"),
    startPart(name, argv, env) {
      const m = startProcess(name, argv, join(dir, `${name}.log`), env);
      record(m, argv[0]!);
      parts.push(m);
      return m;
    },
    partLogs: (lines) =>
      parts
        .map(
          (m) => `--- ${m.name} (${m.logFile}):\n${m.log().split("\n").slice(-lines).join("\n")}`,
        )
        .join("\n"),
    async stop() {
      for (const m of parts.splice(0).reverse()) await m.stop();
      await api.stop();
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
