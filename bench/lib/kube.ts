// The real control plane for end-to-end benchmarks: etcd + kube-apiserver with the CRDs, the
// controller's least-privilege RBAC, and clients that ride out 429s under load.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { join } from "node:path";
import { startKube, type KubeEnv } from "../../src/lab/kube/cluster.js";
import { installCrds } from "../../src/lab/kube/crds.js";
import { RUNTIME_NAMESPACE } from "../../src/lab/kube/identities.js";
import { grantRbac } from "../../src/lab/kube/rbac.js";
import {
  CONTROLLER_CLUSTER_RULES,
  CONTROLLER_NAMESPACE_RULES,
} from "../../src/api/rbac/controller.js";
import { PooledKubeConfig } from "../../src/runtime/kube/pooled-kubeconfig.js";
import type { Stack } from "./stack.js";

export const CRD_DIR = join(import.meta.dirname, "../../config/crd");

/**
 * Why an API call may be retried: overload (429), server trouble (5xx), or a dropped connection
 * (a system error such as ECONNRESET, which carries a string code). Anything else is a bug.
 */
function retriable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === "number") return code === 429 || code >= 500;
  return typeof code === "string";
}

/**
 * Runs call until it succeeds, backing off on retriable errors. Returns the result and the
 * time (performance.now()) at which the successful attempt started.
 */
export async function withRetry<T>(
  what: string,
  call: () => Promise<T>,
  attempts = 30,
): Promise<{ value: T; startedAt: number; retries: number }> {
  for (let attempt = 0; ; attempt++) {
    const startedAt = performance.now();
    try {
      return { value: await call(), startedAt, retries: attempt };
    } catch (err) {
      if (!retriable(err) || attempt + 1 >= attempts) {
        const detail = err instanceof Error ? err.message : String(err);
        throw new Error(`${what} failed after ${attempt + 1} attempt(s): ${detail}`, {
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
    }
  }
}

export interface BenchCluster {
  env: KubeEnv;
  admin: KubeConfig;
  core: CoreV1Api;
}

/** A fresh API server with the CRDs, the runtime namespace and the controller's RBAC. */
export async function startCluster(stack: Stack): Promise<BenchCluster> {
  const env = stack.use("etcd + kube-apiserver", await startKube(), (e) => e.stop());
  await installCrds(env.kubeconfigs.admin, CRD_DIR);
  const admin = stack.use("admin client", new PooledKubeConfig(), (kc) => kc.close());
  admin.loadFromFile(env.kubeconfigs.admin);
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: RUNTIME_NAMESPACE } } });
  await grantRbac(admin, {
    serviceAccount: "controller",
    clusterRules: CONTROLLER_CLUSTER_RULES,
    namespaceRules: CONTROLLER_NAMESPACE_RULES,
  });
  return { env, admin, core };
}

export async function createPool(
  admin: KubeConfig,
  name: string,
  addresses: string[],
): Promise<void> {
  await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: "metallb.io",
    version: "v1beta1",
    namespace: RUNTIME_NAMESPACE,
    plural: "ipaddresspools",
    body: {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name },
      spec: { addresses },
    },
  });
}
