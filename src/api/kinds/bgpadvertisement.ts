import { Type, type Static } from "@sinclair/typebox";
import { ALIAS_PATTERN, COMMUNITY_HELP } from "../formats/community.js";
import { cel } from "../schema/cel.js";
import { CEL_IS_LARGE_COMMUNITY, CEL_IS_STANDARD_COMMUNITY } from "../schema/cel-net.js";
import { ConditionsStatus, LabelSelectors, ObjectNames } from "../schema/k8s.js";
import { v1beta1Only, type KindDef } from "./kind.js";

const CommunityRef = Type.String({
  description: "A community (64500:100, large:64500:1:2) or the name of a Community alias.",
  minLength: 1,
  maxLength: 100,
  ...cel({
    rule:
      `self.contains(':') ? ((${CEL_IS_STANDARD_COMMUNITY}) || (${CEL_IS_LARGE_COMMUNITY})) : ` +
      `self.matches('${ALIAS_PATTERN}')`,
    message: `must be a community or a Community alias name; ${COMMUNITY_HELP}`,
    fix: "write AS:value (e.g. 64512:100), large:global:local1:local2, or the name of a Community alias",
  }),
});

export const BGPAdvertisementSpec = Type.Object(
  {
    aggregationLength: Type.Optional(
      Type.Integer({
        default: 32,
        minimum: 1,
        maximum: 32,
        description: "Prefix length IPv4 Service IPs are announced with (rolled up).",
      }),
    ),
    aggregationLengthV6: Type.Optional(
      Type.Integer({
        default: 128,
        minimum: 1,
        maximum: 128,
        description: "Prefix length IPv6 Service IPs are announced with (rolled up).",
      }),
    ),
    localPref: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 4294967295,
        format: "int64",
        description: "LOCAL_PREF attribute, sent to iBGP peers only.",
      }),
    ),
    communities: Type.Optional(
      Type.Array(CommunityRef, {
        description: "Communities attached to the announcements.",
        maxItems: 64,
        "x-kubernetes-list-type": "set",
      }),
    ),
    ipAddressPools: Type.Optional(ObjectNames("Pools (by name) announced over BGP.")),
    ipAddressPoolSelectors: Type.Optional(LabelSelectors("Pools (by label) announced over BGP.")),
    nodeSelectors: Type.Optional(LabelSelectors("Nodes that announce; all nodes when empty.")),
    peers: Type.Optional(ObjectNames("BGPPeers (by name) to announce to; all peers when empty.")),
  },
  { additionalProperties: false },
);

export type BGPAdvertisementSpec = Static<typeof BGPAdvertisementSpec>;

export const BGPAdvertisementKind: KindDef = {
  kind: "BGPAdvertisement",
  plural: "bgpadvertisements",
  description: "Announces the IPs of selected pools to BGP peers, with attributes.",
  versions: v1beta1Only,
  spec: BGPAdvertisementSpec,
  status: ConditionsStatus,
  printerColumns: [
    { name: "IPAddressPools", type: "string", jsonPath: ".spec.ipAddressPools" },
    { name: "Peers", type: "string", jsonPath: ".spec.peers", priority: 10 },
  ],
};
