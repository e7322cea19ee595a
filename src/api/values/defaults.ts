// The chart's default values (charts/metallb-ts/values.yaml is rendered from this object). The
// hardening lives here too; helm-values/hardened-values.yaml pins the same fields in GitOps.
import { ENVOY_GATEWAY_NAMESPACE } from "../gateway.js";
import type { ContainerSecurityContext, Values } from "./schema.js";
import { DEFAULT_PORTS } from "../ports.js";

/** Images default to the package version; a digest, when set, pins them. */
export function defaultValues(version: string): Values {
  const dropAll: ContainerSecurityContext = {
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
  return {
    image: { registry: "localhost", pullPolicy: "IfNotPresent", pullSecrets: [] },
    controller: {
      image: { repository: "metallb-ts-controller", tag: version, digest: "" },
      replicas: 2,
      logLevel: "info",
      leaseDuration: 15,
      loadBalancerClass: "",
      metricsPort: DEFAULT_PORTS.controllerMetrics,
      healthPort: DEFAULT_PORTS.controllerHealth,
      podDisruptionBudget: { minAvailable: 1 },
      resources: {
        requests: { cpu: "50m", memory: "96Mi" },
        limits: { cpu: "500m", memory: "256Mi" },
      },
      securityContext: { ...dropAll, runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 },
      podSecurityContext: {
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: "RuntimeDefault" },
      },
      nodeSelector: { "kubernetes.io/os": "linux" },
      tolerations: [],
      priorityClassName: "",
    },
    speaker: {
      image: { repository: "metallb-ts-speaker", tag: version, digest: "" },
      logLevel: "info",
      metricsPort: DEFAULT_PORTS.speakerMetrics,
      healthPort: DEFAULT_PORTS.speakerHealth,
      heartbeatPort: DEFAULT_PORTS.heartbeat,
      leasePolicy: true,
      resources: {
        requests: { cpu: "50m", memory: "96Mi" },
        limits: { cpu: "500m", memory: "256Mi" },
      },
      // Root without root's powers: raw AF_PACKET sockets for ARP/NDP need CAP_NET_RAW in the
      // effective set, which Kubernetes grants only to UID 0 (no ambient capabilities), and
      // no_new_privs forbids file capabilities. Every other capability is dropped.
      securityContext: {
        ...dropAll,
        runAsNonRoot: false,
        runAsUser: 0,
        capabilities: { drop: ["ALL"], add: ["NET_RAW"] },
      },
      podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
      frr: {
        enabled: false,
        image: { repository: "metallb-ts-frr", tag: version, digest: "" },
        reloadDebounceMs: 100,
        resources: {
          requests: { cpu: "50m", memory: "64Mi" },
          limits: { cpu: "500m", memory: "256Mi" },
        },
        // FRR's daemons run as root with four capabilities: NET_ADMIN (routes, TCP MD5 keys,
        // VRF-bound sockets), NET_RAW (BFD's and GTSM's TTL handling on raw sockets),
        // NET_BIND_SERVICE (port 179), SYS_ADMIN (zebra and bfdd ask for it at start, for
        // network namespaces, and refuse to start without it). Every other one is dropped.
        securityContext: {
          ...dropAll,
          readOnlyRootFilesystem: true,
          runAsNonRoot: false,
          runAsUser: 0,
          capabilities: {
            drop: ["ALL"],
            add: ["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE", "SYS_ADMIN"],
          },
        },
      },
      nodeSelector: { "kubernetes.io/os": "linux" },
      tolerations: [
        { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
      ],
      priorityClassName: "",
    },
    heartbeat: { existingSecret: "" },
    metrics: {
      serviceMonitor: { enabled: false, interval: "30s", labels: {} },
      prometheusRule: { enabled: false, labels: {}, poolUsagePercent: 90 },
    },
    networkPolicy: { enabled: true, metricsFromNamespaceLabels: {} },
    config: {
      ipAddressPools: [],
      l2Advertisements: [],
      bgpAdvertisements: [],
      bgpPeers: [],
      communities: [],
      bfdProfiles: [],
    },
    gateways: [],
    envoyGateway: { namespace: ENVOY_GATEWAY_NAMESPACE, serviceAccount: "envoy-gateway" },
  };
}
