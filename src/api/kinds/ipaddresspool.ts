import { Type, type Static } from "@sinclair/typebox";
import { cel } from "../schema/cel.js";
import { CEL_IS_IP_RANGE, CEL_RANGE_ORDERED } from "../schema/cel-net.js";
import { Conditions, LabelSelectors } from "../schema/k8s.js";
import { v1beta1Only, type KindDef } from "./kind.js";

const Address = Type.String({
  description:
    "A CIDR (192.0.2.0/24, 2001:db8::/120) or an inclusive range (192.0.2.10-192.0.2.20).",
  minLength: 1,
  maxLength: 81,
  ...cel(
    {
      rule: `isCIDR(self) || (${CEL_IS_IP_RANGE})`,
      message:
        "must be a CIDR such as 192.0.2.0/24 or 2001:db8::/120, or a range of one family such as 192.0.2.10-192.0.2.20",
      fix: "write a CIDR (203.0.113.0/24, 2001:db8::/120) or a range of one family (203.0.113.10-203.0.113.20)",
    },
    {
      rule: CEL_RANGE_ORDERED,
      message: "range start must not be after range end",
      messageExpression:
        "'range start must not be after range end: ' + self.split('-')[0].trim() + " +
        "' comes after ' + self.split('-')[1].trim()",
      fix: "write the lower address first (203.0.113.10-203.0.113.20)",
    },
  ),
});

export const ServiceAllocation = Type.Object(
  {
    priority: Type.Optional(
      Type.Integer({
        description: "Lower values are tried first among the pools that select a Service.",
        minimum: 0,
        maximum: 2147483647,
      }),
    ),
    namespaces: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
        description: "Namespaces whose Services may use this pool.",
        maxItems: 256,
        "x-kubernetes-list-type": "set",
      }),
    ),
    namespaceSelectors: Type.Optional(
      LabelSelectors("Namespaces (by label) whose Services may use this pool."),
    ),
    serviceSelectors: Type.Optional(LabelSelectors("Services (by label) that may use this pool.")),
  },
  { additionalProperties: false, description: "Restricts the pool to some Services and ranks it." },
);

export const IPAddressPoolSpec = Type.Object(
  {
    addresses: Type.Array(Address, {
      description: "The addresses the controller may hand out.",
      minItems: 1,
      // Bounds the cost of the range-order rule (the API server rejects unbounded CEL).
      maxItems: 64,
    }),
    autoAssign: Type.Optional(
      Type.Boolean({
        default: true,
        description: "When false, the pool is used only by Services that ask for it or its IPs.",
      }),
    ),
    avoidBuggyIPs: Type.Optional(
      Type.Boolean({
        default: false,
        description: "Skip IPv4 addresses ending in .0 and .255.",
      }),
    ),
    serviceAllocation: Type.Optional(ServiceAllocation),
  },
  { additionalProperties: false },
);

export const IPAddressPoolStatus = Type.Object(
  {
    assignedIPv4: Type.Optional(Type.Integer({ minimum: 0, format: "int64" })),
    assignedIPv6: Type.Optional(Type.Integer({ minimum: 0, format: "int64" })),
    availableIPv4: Type.Optional(Type.Integer({ minimum: 0, format: "int64" })),
    availableIPv6: Type.Optional(
      Type.Integer({
        minimum: 0,
        format: "int64",
        description: "Saturates at 2^53-1 (the largest integer JSON carries exactly).",
      }),
    ),
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false },
);

export type IPAddressPoolSpec = Static<typeof IPAddressPoolSpec>;
export type IPAddressPoolStatus = Static<typeof IPAddressPoolStatus>;
export type ServiceAllocation = Static<typeof ServiceAllocation>;

export const IPAddressPoolKind: KindDef = {
  kind: "IPAddressPool",
  plural: "ipaddresspools",
  description: "A set of addresses the controller assigns to LoadBalancer Services.",
  versions: v1beta1Only,
  spec: IPAddressPoolSpec,
  status: IPAddressPoolStatus,
  printerColumns: [
    { name: "Auto Assign", type: "boolean", jsonPath: ".spec.autoAssign" },
    { name: "Avoid Buggy IPs", type: "boolean", jsonPath: ".spec.avoidBuggyIPs" },
    { name: "Addresses", type: "string", jsonPath: ".spec.addresses" },
  ],
};
