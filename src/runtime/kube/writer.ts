// Everything the runtime writes to the API server, behind one narrow interface: the shells decide
// what to write (pure functions) and hand it here. KubeWriter is the API server; the shells' fast
// tests use a recording fake (tests/unit/fakes/kube.ts) and their kube tests the real thing.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { GROUP, apiVersionOf, storageVersion, type KindDef } from "../../api/kinds/kind.js";
import { mergePatch } from "./patch.js";
import { apiClient } from "./api-client.js";

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

export interface ClusterWriter {
  /** Sets a Service's status.loadBalancer.ingress (an empty list clears it). */
  serviceIngress(namespace: string, name: string, ips: readonly string[]): Promise<void>;
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

export class KubeWriter implements ClusterWriter {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.core = apiClient(kc, CoreV1Api);
    this.custom = apiClient(kc, CustomObjectsApi);
  }

  async serviceIngress(namespace: string, name: string, ips: readonly string[]): Promise<void> {
    await this.core.patchNamespacedServiceStatus(
      {
        name,
        namespace,
        body: {
          status: { loadBalancer: { ingress: ips.length ? ips.map((ip) => ({ ip })) : null } },
        },
      },
      mergePatch,
    );
  }

  async serviceAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ): Promise<void> {
    await this.core.patchNamespacedService(
      { name, namespace, body: { metadata: { annotations } } },
      mergePatch,
    );
  }

  private target(def: KindDef, namespace: string) {
    return { group: GROUP, version: storageVersion(def), namespace, plural: def.plural };
  }

  async patchStatus(def: KindDef, namespace: string, name: string, status: object): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      { ...this.target(def, namespace), name, body: { status } },
      mergePatch,
    );
  }

  async createStatusObject(
    def: KindDef,
    namespace: string,
    name: string,
    labels?: Record<string, string>,
  ): Promise<void> {
    try {
      await this.custom.createNamespacedCustomObject({
        ...this.target(def, namespace),
        body: {
          apiVersion: apiVersionOf(def),
          kind: def.kind,
          metadata: { name, ...(labels ? { labels } : {}) },
          spec: {},
        },
      });
    } catch (err) {
      if (code(err) !== 409) throw err;
    }
  }

  async deleteObject(def: KindDef, namespace: string, name: string): Promise<void> {
    try {
      await this.custom.deleteNamespacedCustomObject({ ...this.target(def, namespace), name });
    } catch (err) {
      if (code(err) !== 404) throw err;
    }
  }

  async listStatuses(
    def: KindDef,
    namespace: string,
    labelSelector: string,
  ): Promise<StoredStatus[]> {
    const list = (await this.custom.listNamespacedCustomObject({
      ...this.target(def, namespace),
      labelSelector,
    })) as { items: { metadata: { name: string }; status?: Record<string, unknown> }[] };
    return list.items.map((o) => ({
      name: o.metadata.name,
      ...(o.status ? { status: o.status } : {}),
    }));
  }

  async event(e: EventRecord): Promise<void> {
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace: e.ref.namespace,
      body: {
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
      },
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
