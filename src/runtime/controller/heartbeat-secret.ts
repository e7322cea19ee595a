// The speakers' heartbeat key Secret, created by the controller when it does not exist yet. A
// key the chart generated would differ on every offline render (`helm template`, `metallb-ts
// validate`, a GitOps diff) unless it looks the cluster up; made here, at run time, the rendered
// tree is the same every time and the key is made once, in the cluster, and never leaves it.
import { randomBytes } from "node:crypto";
import { CoreV1Api, type KubeConfig, type V1Secret } from "@kubernetes/client-node";
import type { Logger } from "../log.js";
import { apiClient } from "../kube/api-client.js";

/** The key file the speakers read is this data key of the Secret (chart: mounted as a volume). */
export const HEARTBEAT_KEY = "key";
const KEY_BYTES = 32;
const RETRY_MS = 5_000;

/** The Secret as created: a fresh random key, marked as the controller's. */
export function heartbeatSecret(
  namespace: string,
  name: string,
  key = randomBytes(KEY_BYTES),
): V1Secret {
  return {
    metadata: {
      namespace,
      name,
      labels: { "app.kubernetes.io/managed-by": "metallb-ts-controller" },
      annotations: {
        "metallb.io/heartbeat-key":
          "created by the controller because it did not exist; to rotate, see docs/speaker.md",
      },
    },
    type: "Opaque",
    data: { [HEARTBEAT_KEY]: key.toString("base64") },
  };
}

/**
 * Creates the Secret unless it exists, retrying while the API server cannot be reached. An
 * existing Secret is never read or changed (the controller may only create Secrets): an
 * operator's key or a rotation in progress stays as it is.
 */
export async function ensureHeartbeatSecret(opts: {
  kc: KubeConfig;
  namespace: string;
  name: string;
  log: Logger;
  stopped: () => boolean;
}): Promise<"created" | "exists" | "stopped"> {
  const core = apiClient(opts.kc, CoreV1Api);
  const where = { namespace: opts.namespace, name: opts.name };
  while (!opts.stopped()) {
    try {
      await core.createNamespacedSecret({
        namespace: opts.namespace,
        body: heartbeatSecret(opts.namespace, opts.name),
      });
      opts.log.info("created the speakers' heartbeat key Secret", where);
      return "created";
    } catch (err) {
      if ((err as { code?: number }).code === 409) {
        opts.log.info("the speakers' heartbeat key Secret exists; left as it is", where);
        return "exists";
      }
      opts.log.warn("could not create the heartbeat key Secret; retrying", {
        ...where,
        error: String(err),
        retryInSeconds: RETRY_MS / 1000,
      });
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
  return "stopped";
}
