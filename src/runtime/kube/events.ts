// Kubernetes Events, deduplicated: the same reason and message for the same object is recorded
// once until it changes, so a stuck Service or a bad pool does not flood the API server.
import { CoreV1Api, type KubeConfig, type V1Service } from "@kubernetes/client-node";
import type { Logger } from "../log.js";

export type EventType = "Normal" | "Warning";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export const serviceRef = (svc: V1Service): ObjectRef => ({
  apiVersion: "v1",
  kind: "Service",
  namespace: svc.metadata?.namespace ?? "",
  name: svc.metadata?.name ?? "",
  ...(svc.metadata?.uid ? { uid: svc.metadata.uid } : {}),
});

export class EventRecorder {
  private readonly api: CoreV1Api;
  private readonly last = new Map<string, string>();

  constructor(
    kc: KubeConfig,
    private readonly component: string,
    private readonly log: Logger,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  /** Records the event unless it repeats the last one; true when it was new. */
  async record(ref: ObjectRef, type: EventType, reason: string, message: string): Promise<boolean> {
    const key = `${ref.kind}/${ref.namespace}/${ref.name}/${reason}`;
    if (this.last.get(key) === message) return false;
    this.last.set(key, message);
    const now = new Date();
    try {
      await this.api.createNamespacedEvent({
        namespace: ref.namespace,
        body: {
          metadata: { generateName: `${ref.name}.`, namespace: ref.namespace },
          involvedObject: ref,
          type,
          reason,
          message,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      this.log.warn("could not record event", { reason, object: key, error: String(err) });
    }
    return true;
  }

  /** Forget what was said about an object (it was deleted). */
  forget(ref: ObjectRef): void {
    const prefix = `${ref.kind}/${ref.namespace}/${ref.name}/`;
    for (const k of this.last.keys()) if (k.startsWith(prefix)) this.last.delete(k);
  }
}
