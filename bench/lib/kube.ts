// The real control plane for end-to-end benchmarks (the lab cluster builder's), and clients that
// ride out 429s under load.
import type { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { LabCluster } from "../../src/lab/cluster.js";
import type { KubeEnv } from "../../src/lab/kube/cluster.js";
import { makeHarness } from "../../src/lab/kube/harness.js";
import { RUNTIME_NAMESPACE } from "../../src/lab/kube/identities.js";
import type { Cleanup } from "../../src/sys/cleanup.js";

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

/** A fresh lab cluster (src/lab/cluster.ts): API server, CRDs, runtime namespace, RBAC. */
export async function startCluster(cleanup: Cleanup): Promise<BenchCluster> {
  const c = await LabCluster.start(cleanup);
  return { env: c.env, admin: c.admin, core: c.core };
}

/** An IPAddressPool in the runtime namespace. */
export async function createPool(
  admin: KubeConfig,
  name: string,
  addresses: string[],
): Promise<void> {
  await makeHarness(admin, "").createPool(RUNTIME_NAMESPACE, name, { addresses });
}
