// The controller under test: a real process under its RBAC identity, plus the client-side helpers
// the conformance suites share (Services, pools, events, waiting for outcomes).
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type CoreV1Event,
  type V1Service,
} from "@kubernetes/client-node";
import { join } from "node:path";
import { grantRbac } from "./rbac.js";
import { startProcess, waitFor, type Managed } from "../../sys/proc.js";
import { CONTROLLER_CLUSTER_RULES, CONTROLLER_NAMESPACE_RULES } from "../../api/rbac/controller.js";
import { KINDS } from "../../api/kinds/index.js";
import { apiVersionOf, GROUP, storageVersion } from "../../api/kinds/kind.js";

export interface ControllerProcess {
  identity: string;
  configNamespace: string;
  lbClass?: string;
  metricsPort?: number;
  healthPort?: number;
  /** Seconds; short by default so that failover tests stay quick. */
  leaseDuration?: number;
  /** --heartbeat-secret: the Secret the controller makes for the speakers if it is missing. */
  heartbeatSecret?: string;
  logDir: string;
}

export interface ServiceShape {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  spec?: Partial<NonNullable<V1Service["spec"]>>;
}

export interface Harness {
  core: CoreV1Api;
  custom: CustomObjectsApi;
  grantControllerRbac(configNamespace: string): Promise<void>;
  startController(p: ControllerProcess): Managed;
  createPool(configNamespace: string, name: string, spec: object): Promise<object>;
  /** A metallb.io configuration object (BGPPeer, BFDProfile, …) in its storage version. */
  createConfig(configNamespace: string, kind: string, name: string, spec: object): Promise<object>;
  lbService(namespace: string, name: string, extra?: ServiceShape): Promise<V1Service>;
  ingress(namespace: string, name: string): Promise<string[]>;
  waitIngress(namespace: string, name: string, ok?: (ips: string[]) => boolean): Promise<string[]>;
  events(namespace: string, name: string): Promise<CoreV1Event[]>;
  waitEvent(namespace: string, name: string, reason: string): Promise<CoreV1Event>;
}

/** Helpers bound to one API server: an admin client and the controller's kubeconfig. */
/**
 * `runtime` is the command line that runs metallb-ts (labRuntime() in src/lab/app-bundle.ts: the
 * bundle the images ship); a harness without one only makes objects and cannot start controllers.
 */
export function makeHarness(
  admin: KubeConfig,
  controllerKubeconfig: string,
  runtime: readonly string[] = [],
): Harness {
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);

  /** Binds the controller's rules to its ServiceAccount identity (Role in `configNamespace`). */
  const grantControllerRbac = (configNamespace: string): Promise<void> =>
    grantRbac(admin, {
      serviceAccount: "controller",
      clusterRules: CONTROLLER_CLUSTER_RULES,
      namespaceRules: CONTROLLER_NAMESPACE_RULES,
      namespace: configNamespace,
    });

  /** A controller process with a short Lease so that failover tests stay quick. */
  function startController(p: ControllerProcess): Managed {
    if (!runtime.length)
      throw new Error("this harness was made without a runtime command: pass makeHarness one");
    return startProcess(
      p.identity,
      [
        ...runtime,
        "controller",
        "--kubeconfig",
        controllerKubeconfig,
        "--namespace",
        p.configNamespace,
        "--lease-duration",
        String(p.leaseDuration ?? 3),
        "--identity",
        p.identity,
        "--metrics-port",
        String(p.metricsPort ?? 0),
        "--health-port",
        String(p.healthPort ?? 0),
        ...(p.lbClass ? ["--lb-class", p.lbClass] : []),
        ...(p.heartbeatSecret ? ["--heartbeat-secret", p.heartbeatSecret] : []),
      ],
      join(p.logDir, `${p.identity}.log`),
    );
  }

  const createConfig = (
    configNamespace: string,
    kind: string,
    name: string,
    spec: object,
  ): Promise<object> => {
    const def = KINDS.find((k) => k.kind === kind);
    if (!def) throw new Error(`no metallb.io kind ${kind} (src/api/kinds)`);
    return custom.createNamespacedCustomObject({
      group: GROUP,
      version: storageVersion(def),
      namespace: configNamespace,
      plural: def.plural,
      body: { apiVersion: apiVersionOf(def), kind, metadata: { name }, spec },
    });
  };
  const createPool = (configNamespace: string, name: string, spec: object): Promise<object> =>
    createConfig(configNamespace, "IPAddressPool", name, spec);

  function lbService(
    namespace: string,
    name: string,
    extra: ServiceShape = {},
  ): Promise<V1Service> {
    return core.createNamespacedService({
      namespace,
      body: {
        metadata: {
          name,
          ...(extra.annotations ? { annotations: extra.annotations } : {}),
          ...(extra.labels ? { labels: extra.labels } : {}),
        },
        spec: {
          type: "LoadBalancer",
          ports: [{ port: 80, protocol: "TCP" }],
          selector: { app: name },
          ...extra.spec,
        },
      },
    });
  }

  const ingress = async (namespace: string, name: string): Promise<string[]> =>
    (
      (await core.readNamespacedService({ name, namespace })).status?.loadBalancer?.ingress ?? []
    ).map((i) => i.ip ?? "");

  /** Waits until the Service's ingress satisfies `ok` (by default: has an address). */
  const waitIngress = (
    namespace: string,
    name: string,
    ok: (ips: string[]) => boolean = (ips) => ips.length > 0,
  ): Promise<string[]> =>
    waitFor(
      `${namespace}/${name} ingress`,
      async () => {
        const ips = await ingress(namespace, name);
        return ok(ips) ? ips : undefined;
      },
      60_000,
    );

  async function events(namespace: string, name: string): Promise<CoreV1Event[]> {
    return (
      await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` })
    ).items;
  }

  const waitEvent = (namespace: string, name: string, reason: string): Promise<CoreV1Event> =>
    waitFor(
      `${reason} event for ${namespace}/${name}`,
      async () => (await events(namespace, name)).find((e) => e.reason === reason),
      60_000,
    );

  return {
    core,
    custom,
    grantControllerRbac,
    startController,
    createPool,
    createConfig,
    lbService,
    ingress,
    waitIngress,
    events,
    waitEvent,
  };
}
