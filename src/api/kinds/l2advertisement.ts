import { Type, type Static } from "@sinclair/typebox";
import { ConditionsStatus, LabelSelectors, ObjectNames } from "../schema/k8s.js";
import { v1beta1Only, type KindDef } from "./kind.js";

export const L2AdvertisementSpec = Type.Object(
  {
    ipAddressPools: Type.Optional(ObjectNames("Pools (by name) announced in Layer 2 mode.")),
    ipAddressPoolSelectors: Type.Optional(
      LabelSelectors("Pools (by label) announced in Layer 2 mode."),
    ),
    nodeSelectors: Type.Optional(LabelSelectors("Nodes that may announce; all nodes when empty.")),
    interfaces: Type.Optional(
      Type.Array(
        Type.String({
          description: "A Linux interface name.",
          pattern: "^[^\\s/:]{1,15}$",
          maxLength: 15,
        }),
        {
          description: "Interfaces to answer ARP/NDP on; all suitable interfaces when empty.",
          maxItems: 64,
          "x-kubernetes-list-type": "set",
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export type L2AdvertisementSpec = Static<typeof L2AdvertisementSpec>;

export const L2AdvertisementKind: KindDef = {
  kind: "L2Advertisement",
  plural: "l2advertisements",
  description: "Announces the IPs of selected pools with ARP (IPv4) and NDP (IPv6).",
  versions: v1beta1Only,
  spec: L2AdvertisementSpec,
  status: ConditionsStatus,
  printerColumns: [
    { name: "IPAddressPools", type: "string", jsonPath: ".spec.ipAddressPools" },
    { name: "Interfaces", type: "string", jsonPath: ".spec.interfaces", priority: 10 },
  ],
};
