// Kubernetes Events about Services, deduplicated: the same reason and message for the same
// object is recorded once until it changes, so a stuck Service does not flood the API server.
import { CoreV1Api, type KubeConfig, type V1Service } from "@kubernetes/client-node";
import type { Logger } from "../log.js";

export type EventType = "Normal" | "Warning";

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

  async record(svc: V1Service, type: EventType, reason: string, message: string): Promise<void> {
    const meta = svc.metadata ?? {};
    const key = `${meta.namespace}/${meta.name}/${reason}`;
    if (this.last.get(key) === message) return;
    this.last.set(key, message);
    const now = new Date();
    try {
      await this.api.createNamespacedEvent({
        namespace: meta.namespace ?? "default",
        body: {
          metadata: { generateName: `${meta.name}.`, namespace: meta.namespace },
          involvedObject: {
            apiVersion: "v1",
            kind: "Service",
            name: meta.name,
            namespace: meta.namespace,
            uid: meta.uid,
          },
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
      this.log.warn("could not record event", { reason, service: key, error: String(err) });
    }
  }

  /** Forget what was said about a Service (it was deleted). */
  forget(namespace: string, name: string): void {
    for (const k of this.last.keys())
      if (k.startsWith(`${namespace}/${name}/`)) this.last.delete(k);
  }
}
