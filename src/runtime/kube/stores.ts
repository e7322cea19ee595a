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
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** The objects of a metallb.io kind in a namespace. */
  config<S>(def: KindDef, namespace: string): Store<ConfigObject<S>> {
    const custom = this.kc.makeApiClient(CustomObjectsApi);
    return new InformerStore(
      this.kc,
      {
        path: apiPathOf(def, namespace),
        list: () =>
          custom.listNamespacedCustomObject({
            group: GROUP,
            version: storageVersion(def),
            namespace,
            plural: def.plural,
          }) as Promise<KubernetesListObject<ConfigObject<S>>>,
      },
      this.log,
    );
  }

  services(): Store<V1Service> {
    return new InformerStore(
      this.kc,
      { path: "/api/v1/services", list: () => this.core.listServiceForAllNamespaces() },
      this.log,
    );
  }

  namespaces(): Store<V1Namespace> {
    return new InformerStore(
      this.kc,
      { path: "/api/v1/namespaces", list: () => this.core.listNamespace() },
      this.log,
    );
  }

  nodes(): Store<V1Node> {
    return new InformerStore(
      this.kc,
      { path: "/api/v1/nodes", list: () => this.core.listNode() },
      this.log,
    );
  }

  endpointSlices(): Store<V1EndpointSlice> {
    const discovery = this.kc.makeApiClient(DiscoveryV1Api);
    return new InformerStore(
      this.kc,
      {
        path: "/apis/discovery.k8s.io/v1/endpointslices",
        list: () => discovery.listEndpointSliceForAllNamespaces(),
      },
      this.log,
    );
  }

  leases(namespace: string): Store<V1Lease> {
    const coordination = this.kc.makeApiClient(CoordinationV1Api);
    return new InformerStore(
      this.kc,
      {
        path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
        list: () => coordination.listNamespacedLease({ namespace }),
      },
      this.log,
    );
  }

  /** basic-auth Secrets of the namespace (TCP MD5 keys), and nothing else. */
  md5Secrets(namespace: string): Store<V1Secret> {
    return new InformerStore(
      this.kc,
      {
        path: `/api/v1/namespaces/${namespace}/secrets`,
        list: () => this.core.listNamespacedSecret({ namespace, fieldSelector: BASIC_AUTH_ONLY }),
        fieldSelector: BASIC_AUTH_ONLY,
      },
      this.log,
    );
  }
}
