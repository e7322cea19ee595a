// Everything the runtime writes to the API server, behind one narrow interface: the shells decide
// what to write (pure functions) and hand it here. KubeWriter is the API server; the shells' fast
// tests use a recording fake (tests/unit/fakes/kube.ts) and their kube tests the real thing.
import type { KubeConfig } from "@kubernetes/client-node";
import { GROUP, apiVersionOf, storageVersion, type KindDef } from "../../api/kinds/kind.js";
import { REQUEST_TIMEOUT_MS } from "./api-client.js";
import { MERGE_PATCH, apiRequest, seg, type ApiRequest } from "./raw-http.js";

export type EventType = "Normal" | "Warning";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export interface EventRecord {
  ref: ObjectRef;
  type: EventType;
  reason: string;
  message: string;
  /** The reporting component, e.g. metallb-controller. */
  component: string;
}

export interface StoredStatus {
  name: string;
  status?: Record<string, unknown>;
}

/** A metav1.Condition as a Service's status.conditions holds it. */
export interface ServiceCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";

export interface ClusterWriter {
  /** Sets a Service's status.loadBalancer.ingress (an empty list clears it). */
  serviceIngress(namespace: string, name: string, ips: readonly string[]): Promise<void>;
  /** Sets one condition in a Service's status.conditions (others, by type, are kept). */
  serviceCondition(namespace: string, name: string, condition: ServiceCondition): Promise<void>;
  /** Merge-patches a Service's annotations (null removes one). */
  serviceAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ): Promise<void>;
  /** Merge-patches the status of a metallb.io object. */
  patchStatus(def: KindDef, namespace: string, name: string, status: object): Promise<void>;
  /** Creates an object that only carries a status (ServiceL2Status, …); present already is fine. */
  createStatusObject(
    def: KindDef,
    namespace: string,
    name: string,
    labels?: Record<string, string>,
  ): Promise<void>;
  /** Deletes a metallb.io object; absent already is fine. */
  deleteObject(def: KindDef, namespace: string, name: string): Promise<void>;
  listStatuses(def: KindDef, namespace: string, labelSelector: string): Promise<StoredStatus[]>;
  event(e: EventRecord): Promise<void>;
}

const code = (err: unknown): number | undefined => (err as { code?: number }).code;

/**
 * The API server over plain JSON requests (src/runtime/kube/raw-http.ts): no response is parsed
 * unless it is read, which matters at one or two writes per Service.
 */
export class KubeWriter implements ClusterWriter {
  constructor(
    private readonly kc: KubeConfig,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  private send(
    method: ApiRequest["method"],
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<string> {
    return apiRequest(this.kc, {
      method,
      path,
      ...(body === undefined ? {} : { body }),
      ...(contentType ? { contentType } : {}),
      timeoutMs: this.timeoutMs,
    });
  }

  private static service(namespace: string, name: string): string {
    return `/api/v1/namespaces/${seg(namespace)}/services/${seg(name)}`;
  }

  async serviceIngress(namespace: string, name: string, ips: readonly string[]): Promise<void> {
    await this.send(
      "PATCH",
      `${KubeWriter.service(namespace, name)}/status`,
      { status: { loadBalancer: { ingress: ips.length ? ips.map((ip) => ({ ip })) : null } } },
      MERGE_PATCH,
    );
  }

  async serviceCondition(
    namespace: string,
    name: string,
    condition: ServiceCondition,
  ): Promise<void> {
    // A strategic merge patch merges status.conditions by type, leaving others' conditions be.
    await this.send(
      "PATCH",
      `${KubeWriter.service(namespace, name)}/status`,
      { status: { conditions: [condition] } },
      STRATEGIC_MERGE_PATCH,
    );
  }

  async serviceAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ): Promise<void> {
    await this.send(
      "PATCH",
      KubeWriter.service(namespace, name),
      { metadata: { annotations } },
      MERGE_PATCH,
    );
  }

  private static collection(def: KindDef, namespace: string): string {
    return `/apis/${GROUP}/${storageVersion(def)}/namespaces/${seg(namespace)}/${def.plural}`;
  }

  async patchStatus(def: KindDef, namespace: string, name: string, status: object): Promise<void> {
    await this.send(
      "PATCH",
      `${KubeWriter.collection(def, namespace)}/${seg(name)}/status`,
      { status },
      MERGE_PATCH,
    );
  }

  async createStatusObject(
    def: KindDef,
    namespace: string,
    name: string,
    labels?: Record<string, string>,
  ): Promise<void> {
    try {
      await this.send("POST", KubeWriter.collection(def, namespace), {
        apiVersion: apiVersionOf(def),
        kind: def.kind,
        metadata: { name, ...(labels ? { labels } : {}) },
        spec: {},
      });
    } catch (err) {
      if (code(err) !== 409) throw err;
    }
  }

  async deleteObject(def: KindDef, namespace: string, name: string): Promise<void> {
    try {
      await this.send("DELETE", `${KubeWriter.collection(def, namespace)}/${seg(name)}`);
    } catch (err) {
      if (code(err) !== 404) throw err;
    }
  }

  async listStatuses(
    def: KindDef,
    namespace: string,
    labelSelector: string,
  ): Promise<StoredStatus[]> {
    const list = JSON.parse(
      await this.send(
        "GET",
        `${KubeWriter.collection(def, namespace)}?${new URLSearchParams({ labelSelector }).toString()}`,
      ),
    ) as { items: { metadata: { name: string }; status?: Record<string, unknown> }[] };
    return list.items.map((o) => ({
      name: o.metadata.name,
      ...(o.status ? { status: o.status } : {}),
    }));
  }

  async event(e: EventRecord): Promise<void> {
    const now = new Date().toISOString();
    await this.send("POST", `/api/v1/namespaces/${seg(e.ref.namespace)}/events`, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: `${e.ref.name}.`, namespace: e.ref.namespace },
      involvedObject: e.ref,
      type: e.type,
      reason: e.reason,
      message: e.message,
      source: { component: e.component },
      reportingComponent: e.component,
      reportingInstance: e.component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  }
}

/**
 * Writes the status of an object that exists only to carry one: created when `create` (this
 * process does not know it exists), then its status merged in.
 */
export async function writeStatusObject(
  w: ClusterWriter,
  def: KindDef,
  t: { namespace: string; name: string; labels?: Record<string, string> },
  status: object,
  create = true,
): Promise<void> {
  if (create) await w.createStatusObject(def, t.namespace, t.name, t.labels);
  await w.patchStatus(def, t.namespace, t.name, status);
}
