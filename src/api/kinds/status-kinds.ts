// Kinds the runtime writes to report what it does (read-only for users).
import { Type, type Static } from "@sinclair/typebox";
import { Conditions } from "../schema/k8s.js";
import { v1beta1Only, type KindDef, type PrinterColumn } from "./kind.js";

const EmptySpec = Type.Object({}, { additionalProperties: false });

const ServiceRef = {
  node: Type.Optional(Type.String({ description: "Node announcing the Service." })),
  serviceName: Type.Optional(Type.String({ description: "Name of the announced Service." })),
  serviceNamespace: Type.Optional(Type.String({ description: "Namespace of the Service." })),
};

export const ServiceL2StatusStatus = Type.Object(
  {
    ...ServiceRef,
    interfaces: Type.Optional(
      Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: false }), {
        description: "Interfaces the Service's IPs are announced on.",
      }),
    ),
    // Announced: False with reason IPConflict, InterfaceMissing, NoUsableInterface,
    // InterfaceFailed or Probing when an address of the Service is held back on this node.
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false },
);

export const ServiceBGPStatusStatus = Type.Object(
  {
    ...ServiceRef,
    peers: Type.Optional(
      Type.Array(Type.String(), { description: "BGPPeers the Service is announced to." }),
    ),
  },
  { additionalProperties: false },
);

export const ConfigurationStateStatus = Type.Object(
  {
    result: Type.Optional(
      Type.Union([Type.Literal("Valid"), Type.Literal("Invalid"), Type.Literal("Unknown")], {
        description: "Whether the component accepted the whole configuration.",
      }),
    ),
    errorSummary: Type.Optional(Type.String({ description: "Why the configuration is invalid." })),
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false },
);

export type ServiceL2StatusStatus = Static<typeof ServiceL2StatusStatus>;
export type ServiceBGPStatusStatus = Static<typeof ServiceBGPStatusStatus>;
export type ConfigurationStateStatus = Static<typeof ConfigurationStateStatus>;

/** The columns of the per-Service status kinds: the node, then the Service. */
const serviceColumns = (nodeTitle: string): PrinterColumn[] =>
  (
    [
      [nodeTitle, ".status.node"],
      ["Service Name", ".status.serviceName"],
      ["Service Namespace", ".status.serviceNamespace"],
    ] as const
  ).map(([name, jsonPath]) => ({ name, type: "string", jsonPath }));

export const ServiceL2StatusKind: KindDef = {
  kind: "ServiceL2Status",
  plural: "servicel2statuses",
  description: "Which node announces a Service in Layer 2 mode, on which interfaces.",
  versions: v1beta1Only,
  spec: EmptySpec,
  status: ServiceL2StatusStatus,
  printerColumns: serviceColumns("Allocated Node"),
};

export const ServiceBGPStatusKind: KindDef = {
  kind: "ServiceBGPStatus",
  plural: "servicebgpstatuses",
  description: "Which peers a node announces a Service to in BGP mode.",
  versions: v1beta1Only,
  spec: EmptySpec,
  status: ServiceBGPStatusStatus,
  printerColumns: serviceColumns("Node"),
};

export const ConfigurationStateKind: KindDef = {
  kind: "ConfigurationState",
  plural: "configurationstates",
  description: "Whether a controller or speaker accepted the current configuration.",
  versions: v1beta1Only,
  spec: EmptySpec,
  status: ConfigurationStateStatus,
  printerColumns: [
    { name: "Result", type: "string", jsonPath: ".status.result" },
    { name: "Summary", type: "string", jsonPath: ".status.errorSummary", priority: 10 },
  ],
};
