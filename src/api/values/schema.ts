// The Helm values of charts/metallb-ts, as one TypeBox source: the chart's values.schema.json, the
// stricter override schema (helm-values/override-values.schema.json) and the TypeScript type all
// come from here. Per-cluster configuration reuses the spec schemas of the metallb.io kinds, so a
// pool in a values file is checked exactly like an IPAddressPool object.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { BFDProfileSpec } from "../kinds/bfdprofile.js";
import { BGPAdvertisementSpec } from "../kinds/bgpadvertisement.js";
import { BGPPeerSpec } from "../kinds/bgppeer.js";
import { CommunitySpec } from "../kinds/community.js";
import { IPAddressPoolSpec } from "../kinds/ipaddresspool.js";
import { L2AdvertisementSpec } from "../kinds/l2advertisement.js";
import { ObjectName } from "../schema/k8s.js";

const closed = { additionalProperties: false } as const;

/** A Kubernetes resource quantity: "100m", "128Mi", or a bare number. */
const Quantity = Type.Union(
  [
    Type.String({ pattern: "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$", maxLength: 32 }),
    Type.Number({ minimum: 0 }),
  ],
  {
    description: "a quantity such as 100m, 128Mi or 0.5 (binary units end in i: 256Mi, not 256MB)",
  },
);

const CpuMemory = Type.Object(
  { cpu: Type.Optional(Quantity), memory: Type.Optional(Quantity) },
  closed,
);

export const Resources = Type.Object(
  { requests: Type.Optional(CpuMemory), limits: Type.Optional(CpuMemory) },
  { ...closed, description: "Container resource requests and limits." },
);

const SeccompProfile = Type.Object(
  {
    type: Type.Union([
      Type.Literal("RuntimeDefault"),
      Type.Literal("Localhost"),
      Type.Literal("Unconfined"),
    ]),
    localhostProfile: Type.Optional(Type.String({ maxLength: 253 })),
  },
  closed,
);

const Capability = Type.String({ pattern: "^[A-Z_]+$", maxLength: 32 });

export const ContainerSecurityContext = Type.Object(
  {
    privileged: Type.Optional(Type.Boolean()),
    allowPrivilegeEscalation: Type.Optional(Type.Boolean()),
    readOnlyRootFilesystem: Type.Optional(Type.Boolean()),
    runAsNonRoot: Type.Optional(Type.Boolean()),
    runAsUser: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
    runAsGroup: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
    capabilities: Type.Optional(
      Type.Object(
        {
          add: Type.Optional(Type.Array(Capability, { maxItems: 16 })),
          drop: Type.Optional(Type.Array(Capability, { maxItems: 64 })),
        },
        closed,
      ),
    ),
    seccompProfile: Type.Optional(SeccompProfile),
  },
  { ...closed, description: "The container's securityContext." },
);

export const PodSecurityContext = Type.Object(
  {
    runAsNonRoot: Type.Optional(Type.Boolean()),
    runAsUser: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
    runAsGroup: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
    fsGroup: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
    seccompProfile: Type.Optional(SeccompProfile),
  },
  { ...closed, description: "The pod's securityContext." },
);

export const Image = Type.Object(
  {
    repository: Type.String({ minLength: 1, maxLength: 255, pattern: "^[a-z0-9][a-z0-9._/-]*$" }),
    tag: Type.String({
      maxLength: 128,
      pattern: "^([A-Za-z0-9_][A-Za-z0-9_.-]*)?$",
      description: "Image tag; empty only when a digest pins the image.",
    }),
    digest: Type.String({
      pattern: "^(sha256:[a-f0-9]{64})?$",
      description: "sha256:… digest; when set it pins the image (the tag is then informative).",
    }),
  },
  closed,
);

const Toleration = Type.Object(
  {
    key: Type.Optional(Type.String({ maxLength: 317 })),
    operator: Type.Optional(Type.Union([Type.Literal("Exists"), Type.Literal("Equal")])),
    value: Type.Optional(Type.String({ maxLength: 63 })),
    effect: Type.Optional(
      Type.Union([
        Type.Literal("NoSchedule"),
        Type.Literal("PreferNoSchedule"),
        Type.Literal("NoExecute"),
      ]),
    ),
    tolerationSeconds: Type.Optional(Type.Integer()),
  },
  closed,
);

const NodeSelector = Type.Record(Type.String(), Type.String({ maxLength: 63 }), {
  description: "Node labels the pods must run on.",
});
const Labels = Type.Record(Type.String(), Type.String({ maxLength: 63 }));
const LogLevel = Type.Union([
  Type.Literal("debug"),
  Type.Literal("info"),
  Type.Literal("warn"),
  Type.Literal("error"),
]);
const Port = (description: string) => Type.Integer({ minimum: 1024, maximum: 65535, description });

const Placement = {
  nodeSelector: NodeSelector,
  tolerations: Type.Array(Toleration, { maxItems: 32 }),
  priorityClassName: Type.String({ maxLength: 253 }),
};

export const ControllerValues = Type.Object(
  {
    image: Image,
    replicas: Type.Integer({
      minimum: 1,
      maximum: 9,
      description: "Controller pods; one leads (Lease), the others stand by.",
    }),
    logLevel: LogLevel,
    leaseDuration: Type.Integer({ minimum: 1, maximum: 300, description: "Leader Lease, s." }),
    loadBalancerClass: Type.String({
      maxLength: 253,
      description:
        "Serve only Services with this spec.loadBalancerClass (controller and speakers); empty: the default.",
    }),
    metricsPort: Port("Prometheus /metrics port."),
    healthPort: Port("/healthz and /readyz port."),
    podDisruptionBudget: Type.Object(
      { minAvailable: Type.Integer({ minimum: 0, maximum: 8 }) },
      closed,
    ),
    resources: Resources,
    securityContext: ContainerSecurityContext,
    podSecurityContext: PodSecurityContext,
    ...Placement,
  },
  closed,
);

export const SpeakerValues = Type.Object(
  {
    image: Image,
    logLevel: LogLevel,
    metricsPort: Port("Prometheus /metrics port on the node (hostNetwork)."),
    healthPort: Port("/healthz and /readyz port on the node (hostNetwork)."),
    heartbeatPort: Port("UDP port of the authenticated speaker-to-speaker heartbeats."),
    leasePolicy: Type.Boolean({
      description:
        "Install the ValidatingAdmissionPolicy that lets each node's speaker write only its own " +
        "Lease (needs Kubernetes 1.32+: node names in Pod-bound tokens). Off only on older clusters.",
    }),
    resources: Resources,
    securityContext: ContainerSecurityContext,
    podSecurityContext: PodSecurityContext,
    frr: Type.Object(
      {
        enabled: Type.Boolean({
          description:
            "FRR mode: an FRR container (zebra, bgpd, bfdd and the metallb-ts FRR agent) beside " +
            "each speaker speaks BGP, with BFD and VRFs. Off: the speaker's native BGP.",
        }),
        image: Image,
        reloadDebounceMs: Type.Integer({
          minimum: 0,
          maximum: 10000,
          description:
            "Quiet milliseconds before changes are applied to FRR (one reload per burst).",
        }),
        resources: Resources,
        securityContext: ContainerSecurityContext,
      },
      closed,
    ),
    ...Placement,
  },
  closed,
);

const Named = <T extends TSchema>(spec: T, what: string) =>
  Type.Array(
    Type.Object(
      {
        name: ObjectName(`Name of the ${what}.`),
        labels: Type.Optional(Labels),
        spec,
      },
      closed,
    ),
    { maxItems: 256, description: `${what} objects the chart renders in the release namespace.` },
  );

export const ConfigValues = Type.Object(
  {
    ipAddressPools: Named(IPAddressPoolSpec, "IPAddressPool"),
    l2Advertisements: Named(L2AdvertisementSpec, "L2Advertisement"),
    bgpAdvertisements: Named(BGPAdvertisementSpec, "BGPAdvertisement"),
    bgpPeers: Named(BGPPeerSpec, "BGPPeer"),
    communities: Named(CommunitySpec, "Community"),
    bfdProfiles: Named(BFDProfileSpec, "BFDProfile"),
  },
  { ...closed, description: "The cluster's metallb.io configuration, rendered as CRs." },
);

/** A Gateway's reserved addresses (rendered as an IPAddressPool carved out of `pool`). */
export const GatewayReservation = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
      description:
        "The Gateway's name (at most 63 characters: Envoy Gateway carries it in a label value).",
    }),
    namespace: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
      description: "The Gateway's namespace.",
    }),
    addresses: Type.Array(
      Type.String({ minLength: 2, maxLength: 45, pattern: "^[0-9a-fA-F.:]+$" }),
      {
        minItems: 1,
        maxItems: 2,
        description: "The reserved addresses: one IPv4, one IPv6, or one of each (dual-stack).",
      },
    ),
    pool: ObjectName("The IPAddressPool the addresses are reserved from."),
  },
  closed,
);

export const Values = Type.Object(
  {
    image: Type.Object(
      {
        registry: Type.String({ maxLength: 255, description: "Prefix of both image names." }),
        pullPolicy: Type.Union([
          Type.Literal("IfNotPresent"),
          Type.Literal("Always"),
          Type.Literal("Never"),
        ]),
        pullSecrets: Type.Array(Type.Object({ name: ObjectName("Secret name.") }, closed), {
          maxItems: 8,
        }),
      },
      closed,
    ),
    controller: ControllerValues,
    speaker: SpeakerValues,
    heartbeat: Type.Object(
      {
        existingSecret: Type.String({
          maxLength: 253,
          description:
            "Secret (key 'key') with the speakers' heartbeat key; empty: the controller creates " +
            "<release>-heartbeat with a random key at run time if it does not exist.",
        }),
      },
      closed,
    ),
    metrics: Type.Object(
      {
        serviceMonitor: Type.Object(
          {
            enabled: Type.Boolean(),
            interval: Type.String({ pattern: "^[0-9]+(s|m)$" }),
            labels: Labels,
          },
          closed,
        ),
        prometheusRule: Type.Object(
          {
            enabled: Type.Boolean(),
            labels: Labels,
            poolUsagePercent: Type.Integer({
              minimum: 1,
              maximum: 100,
              description: "Warn when a pool's assigned share reaches this percentage.",
            }),
          },
          closed,
        ),
      },
      closed,
    ),
    networkPolicy: Type.Object(
      {
        enabled: Type.Boolean(),
        metricsFromNamespaceLabels: Type.Record(Type.String(), Type.String({ maxLength: 63 }), {
          description: "Namespaces (by label) allowed to scrape metrics; empty: any namespace.",
        }),
      },
      closed,
    ),
    config: ConfigValues,
    gateways: Type.Array(GatewayReservation, {
      maxItems: 256,
      description:
        "Addresses reserved for Gateways: only the Service Envoy Gateway generates for that " +
        "Gateway may hold them, and it gets them without asking (docs/gateway.md).",
    }),
    envoyGateway: Type.Object(
      {
        namespace: Type.String({
          minLength: 1,
          maxLength: 63,
          pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
          description: "Where Envoy Gateway creates the Gateways' Services.",
        }),
        serviceAccount: Type.String({
          minLength: 1,
          maxLength: 253,
          pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
          description:
            "Envoy Gateway's ServiceAccount (in that namespace): the only identity the address policies let set spec.externalIPs.",
        }),
      },
      closed,
    ),
  },
  { ...closed, $id: "https://metallb-ts.dev/schema/values.json", title: "metallb-ts chart values" },
);

export type Values = Static<typeof Values>;
export type ConfigValues = Static<typeof ConfigValues>;
export type GatewayReservation = Static<typeof GatewayReservation>;
export type ContainerSecurityContext = Static<typeof ContainerSecurityContext>;
