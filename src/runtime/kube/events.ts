// Kubernetes Events, deduplicated: the same reason and message for the same object is recorded
// once until it changes, so a stuck Service or a bad pool does not flood the API server.
import type { V1Service } from "@kubernetes/client-node";
import type { Logger } from "../log.js";
import type { ClusterWriter, EventType, ObjectRef } from "./writer.js";

export type { EventType, ObjectRef } from "./writer.js";

export const serviceRef = (svc: V1Service): ObjectRef => ({
  apiVersion: "v1",
  kind: "Service",
  namespace: svc.metadata?.namespace ?? "",
  name: svc.metadata?.name ?? "",
  ...(svc.metadata?.uid ? { uid: svc.metadata.uid } : {}),
});

/** How many (object, reason) pairs the de-duplication remembers (the least recent go first). */
export const EVENT_MEMORY = 10_000;

export class EventRecorder {
  /** Last message per object and reason, least recently recorded first. */
  private readonly last = new Map<string, string>();

  constructor(
    private readonly writer: ClusterWriter,
    private readonly component: string,
    private readonly log: Logger,
    private readonly memory = EVENT_MEMORY,
  ) {}

  /** How many (object, reason) pairs are remembered now. */
  get remembered(): number {
    return this.last.size;
  }

  /**
   * Records the event unless it repeats the last one; true when it was new. The memory is
   * bounded: objects come and go (Services deleted while this process never saw the deletion,
   * addresses held back then released), and a pair forgotten only costs one repeated event.
   */
  async record(ref: ObjectRef, type: EventType, reason: string, message: string): Promise<boolean> {
    const key = `${ref.kind}/${ref.namespace}/${ref.name}/${reason}`;
    if (this.last.get(key) === message) {
      this.last.delete(key);
      this.last.set(key, message);
      return false;
    }
    this.last.delete(key);
    this.last.set(key, message);
    for (const old of this.last.keys()) {
      if (this.last.size <= this.memory) break;
      this.last.delete(old);
    }
    try {
      await this.writer.event({ ref, type, reason, message, component: this.component });
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
