// The stores both programs read, built from the API's own definitions (KindDef for metallb.io
// kinds), so group, version and plural are spelled in one place.
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1EndpointSlice,
  type V1Lease,
  type V1Namespace,
  type V1Node,
  type V1Secret,
  type V1Service,
} from "@kubernetes/client-node";
import { GROUP, apiPathOf, storageVersion, type KindDef } from "../../api/kinds/kind.js";
import type { Logger } from "../log.js";
import { InformerStore, type Store } from "./store.js";
import { apiClient, LIST_TIMEOUT_MS } from "./api-client.js";

/** A metallb.io configuration object as watched. */
export interface ConfigObject<S> extends KubernetesObject {
  spec: S;
}

/** Only the Secrets a BGPPeer's passwordSecret may name. */
export const BASIC_AUTH_ONLY = "type=kubernetes.io/basic-auth";

export class StoreFactory {
  private readonly core: CoreV1Api;

  constructor(
    private readonly kc: KubeConfig,
    private readonly log: Logger,
  ) {
    this.core = apiClient(kc, CoreV1Api, LIST_TIMEOUT_MS);
  }

  private watch<T extends KubernetesObject>(
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    fieldSelector?: string,
  ): Store<T> {
    return new InformerStore(
      this.kc,
      { path, list, ...(fieldSelector ? { fieldSelector } : {}) },
      this.log,
    );
  }

  /** The objects of a metallb.io kind in a namespace. */
  config<S>(def: KindDef, namespace: string): Store<ConfigObject<S>> {
    const custom = apiClient(this.kc, CustomObjectsApi, LIST_TIMEOUT_MS);
    const target = { group: GROUP, version: storageVersion(def), namespace, plural: def.plural };
    return this.watch(
      apiPathOf(def, namespace),
      () =>
        custom.listNamespacedCustomObject(target) as Promise<KubernetesListObject<ConfigObject<S>>>,
    );
  }

  services(): Store<V1Service> {
    return this.watch("/api/v1/services", () => this.core.listServiceForAllNamespaces());
  }

  namespaces(): Store<V1Namespace> {
    return this.watch("/api/v1/namespaces", () => this.core.listNamespace());
  }

  nodes(): Store<V1Node> {
    return this.watch("/api/v1/nodes", () => this.core.listNode());
  }

  endpointSlices(): Store<V1EndpointSlice> {
    const discovery = apiClient(this.kc, DiscoveryV1Api, LIST_TIMEOUT_MS);
    return this.watch("/apis/discovery.k8s.io/v1/endpointslices", () =>
      discovery.listEndpointSliceForAllNamespaces(),
    );
  }

  leases(namespace: string): Store<V1Lease> {
    const coordination = apiClient(this.kc, CoordinationV1Api, LIST_TIMEOUT_MS);
    return this.watch(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`, () =>
      coordination.listNamespacedLease({ namespace }),
    );
  }

  /** basic-auth Secrets of the namespace (TCP MD5 keys), and nothing else. */
  md5Secrets(namespace: string): Store<V1Secret> {
    return this.watch(
      `/api/v1/namespaces/${namespace}/secrets`,
      () => this.core.listNamespacedSecret({ namespace, fieldSelector: BASIC_AUTH_ONLY }),
      BASIC_AUTH_ONLY,
    );
  }
}
