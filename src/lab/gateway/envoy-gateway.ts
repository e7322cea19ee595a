// Envoy Gateway's controller (built by tools/provision.sh) against a test API server, as its
// chart runs it but as a process: the Gateway API and Envoy Gateway CRDs installed, `certgen`
// making the control-plane certificates as Secrets, then `server` with the Kubernetes provider,
// leader election and the topology injector off. It binds fixed ports and reads its TLS files
// from the fixed path /certs, so it runs in a network namespace of its own (reaching the API
// server through the lab's Unix-socket bridge) and a mount namespace of its own with /certs bound
// to a copy of its Secret.
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { ENVOY_GATEWAY_NAMESPACE } from "../../api/gateway.js";
import { run, waitFor, type Managed } from "../../sys/proc.js";
import { cachedTool, cacheDir } from "../../sys/tools.js";
import type { KubeEnv } from "../kube/cluster.js";
import { installCrds } from "../kube/crds.js";
import { namespaceEndArgv, serveUnixToTcp } from "../kube/api-bridge.js";
import { Lab } from "../net/lab.js";

/** Envoy Gateway's ServiceAccount, as its chart names it (values envoyGateway.serviceAccount). */
export const ENVOY_GATEWAY_SERVICE_ACCOUNT = "envoy-gateway";

/** The GatewayClass controllerName Envoy Gateway serves. */
export const ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";

export interface EnvoyGateway {
  namespace: string;
  proc: Managed;
  stop(): Promise<void>;
}

/** Installs the CRDs Envoy Gateway watches (Gateway API standard channel and its own). */
export async function installGatewayCrds(kubeconfig: string): Promise<void> {
  await installCrds(kubeconfig, join(cacheDir(), "bin", "gateway-api-crds"));
  await installCrds(kubeconfig, join(cacheDir(), "bin", "envoy-gateway-crds"));
}

/**
 * A kubeconfig for Envoy Gateway's own ServiceAccount (as its Deployment runs), so that what it
 * writes is attributed to it — the address policies let only that identity set externalIPs. It
 * is bound to cluster-admin here; its chart's ClusterRole is narrower.
 */
async function serviceAccountKubeconfig(
  env: KubeEnv,
  kc: KubeConfig,
  namespace: string,
  dir: string,
): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = ENVOY_GATEWAY_SERVICE_ACCOUNT;
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
    body: {
      metadata: { name: `lab-${name}` },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "cluster-admin",
      },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
  });
  const token = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { expirationSeconds: 86400, audiences: [] } },
  });
  const path = join(dir, "kubeconfig");
  writeFileSync(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "lab", cluster: { server: env.server, "certificate-authority": env.caFile } },
      ],
      users: [{ name, user: { token: token.status?.token } }],
      contexts: [{ name: "lab", context: { cluster: "lab", user: name } }],
      "current-context": "lab",
    }),
    { mode: 0o600 },
  );
  return path;
}

export async function startEnvoyGateway(env: KubeEnv): Promise<EnvoyGateway> {
  const binary = cachedTool("envoy-gateway");
  const namespace = ENVOY_GATEWAY_NAMESPACE;
  await installGatewayCrds(env.kubeconfigs.admin);
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfigs.admin);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const dir = join(env.dir, "envoy-gateway");
  mkdirSync(dir, { recursive: true });
  const kubeconfig = await serviceAccountKubeconfig(env, kc, namespace, dir);
  const vars = { KUBECONFIG: kubeconfig, ENVOY_GATEWAY_NAMESPACE: namespace };
  await run([
    "env",
    ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
    binary,
    "certgen",
    "--disable-topology-injector",
  ]);
  const secret = await core.readNamespacedSecret({ namespace, name: "envoy-gateway" });
  const certs = join(dir, "certs");
  mkdirSync(certs, { recursive: true });
  for (const file of ["tls.crt", "tls.key", "ca.crt"]) {
    const data = secret.data?.[file];
    if (!data) throw new Error(`Secret ${namespace}/envoy-gateway has no ${file} after certgen`);
    writeFileSync(join(certs, file), Buffer.from(data, "base64"), { mode: 0o600 });
  }
  const config = join(dir, "envoy-gateway.yaml");
  writeFileSync(
    config,
    stringify({
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "EnvoyGateway",
      gateway: { controllerName: ENVOY_GATEWAY_CONTROLLER },
      provider: {
        type: "Kubernetes",
        kubernetes: {
          leaderElection: { disable: true },
          proxyTopologyInjector: { disabled: true },
        },
      },
      logging: { level: { default: "info" } },
    }),
  );

  // A bind mount needs its target: /certs is made (empty) only if missing, and removed after.
  const madeCerts = !existsSync("/certs");
  if (madeCerts) mkdirSync("/certs");
  const lab = await Lab.create({ segments: [], hosts: [{ name: "egw", links: [] }] });
  const port = Number(new URL(env.server).port);
  const sock = join(lab.dir, "api.sock");
  const bridge = await serveUnixToTcp(sock, port);
  lab.spawn("egw", "api-bridge-egw", namespaceEndArgv(port, sock));
  const listening = (p: number) =>
    lab
      .exec("egw", ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${p} && echo ok`])
      .then((out) => (out === "ok\n" ? true : undefined))
      .catch(() => undefined);
  await waitFor("the API bridge in Envoy Gateway's namespace", () => listening(port), 30_000, 100);
  const proc = lab.spawn("egw", "envoy-gateway", [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    'mount --bind "$0" /certs && exec env KUBECONFIG="$1" ENVOY_GATEWAY_NAMESPACE="$2" "$3" server --config-path "$4"',
    certs,
    kubeconfig,
    namespace,
    binary,
    config,
  ]);
  const stop = async () => {
    await lab.destroy();
    await new Promise<void>((done) => bridge.close(() => done()));
    if (madeCerts) rmdirSync("/certs");
  };
  try {
    // Ready once its health probe listens, inside its namespace.
    await waitFor("Envoy Gateway ready", () => listening(8081), 60_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n--- envoy-gateway log:\n${proc.log().slice(-3000)}`);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { namespace, proc, stop };
}
