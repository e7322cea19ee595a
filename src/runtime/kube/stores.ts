// The stores both programs read, built from the API's own definitions (KindDef for metallb.io
// kinds), so group, version and plural are spelled in one place.
import {
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
import { apiPathOf, type KindDef } from "../../api/kinds/kind.js";
import type { Logger } from "../log.js";
import { InformerStore, trimObject, type Store } from "./store.js";
import { LIST_TIMEOUT_MS } from "./api-client.js";
import { rawList } from "./raw-list.js";

/** A metallb.io configuration object as watched. */
export interface ConfigObject<S> extends KubernetesObject {
  spec: S;
}

/** Only the Secrets a BGPPeer's passwordSecret may name. */
export const BASIC_AUTH_ONLY = "type=kubernetes.io/basic-auth";

export class StoreFactory {
  constructor(
    private readonly kc: KubeConfig,
    private readonly log: Logger,
  ) {}

  private watch<T extends KubernetesObject>(path: string, fieldSelector?: string): Store<T> {
    const list = (): Promise<KubernetesListObject<T>> =>
      rawList<T>(this.kc, path, {
        timeoutMs: LIST_TIMEOUT_MS,
        trim: trimObject,
        ...(fieldSelector ? { fieldSelector } : {}),
      });
    return new InformerStore(
      this.kc,
      { path, list, ...(fieldSelector ? { fieldSelector } : {}) },
      this.log,
    );
  }

  /** The objects of a metallb.io kind in a namespace. */
  config<S>(def: KindDef, namespace: string): Store<ConfigObject<S>> {
    return this.watch(apiPathOf(def, namespace));
  }

  services(): Store<V1Service> {
    return this.watch("/api/v1/services");
  }

  namespaces(): Store<V1Namespace> {
    return this.watch("/api/v1/namespaces");
  }

  nodes(): Store<V1Node> {
    return this.watch("/api/v1/nodes");
  }

  endpointSlices(): Store<V1EndpointSlice> {
    return this.watch("/apis/discovery.k8s.io/v1/endpointslices");
  }

  leases(namespace: string): Store<V1Lease> {
    return this.watch(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`);
  }

  /** basic-auth Secrets of the namespace (TCP MD5 keys), and nothing else. */
  md5Secrets(namespace: string): Store<V1Secret> {
    return this.watch(`/api/v1/namespaces/${namespace}/secrets`, BASIC_AUTH_ONLY);
  }
}
