// Informer start-up shared by the controller and the speaker.
import type { Informer, KubernetesObject, ObjectCache } from "@kubernetes/client-node";
import type { Logger } from "../log.js";

export type Watched<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

/**
 * Starts an informer; the first list can fail while the API server warms up (429, connection
 * refused), so it retries with a growing pause until it works or `stopped()` says to give up.
 */
export async function startWithRetry(
  inf: Watched<KubernetesObject>,
  log: Logger,
  stopped: () => boolean,
): Promise<void> {
  for (let attempt = 1; !stopped(); attempt++) {
    try {
      await inf.start();
      return;
    } catch (err) {
      log.warn("initial list failed; retrying", { attempt, error: String(err) });
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
    }
  }
}
