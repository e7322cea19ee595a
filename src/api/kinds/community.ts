import { Type, type Static } from "@sinclair/typebox";
import { ALIAS_PATTERN, COMMUNITY_HELP } from "../formats/community.js";
import { cel } from "../schema/cel.js";
import { CEL_IS_LARGE_COMMUNITY, CEL_IS_STANDARD_COMMUNITY } from "../schema/cel-net.js";
import { v1beta1Only, type KindDef } from "./kind.js";

export const CommunityAlias = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: ALIAS_PATTERN,
      description: "The alias BGPAdvertisements use instead of the value.",
    }),
    value: Type.String({
      maxLength: 40,
      description: "The community: 64500:100 or large:64500:1:2.",
      ...cel({
        rule: `(${CEL_IS_STANDARD_COMMUNITY}) || (${CEL_IS_LARGE_COMMUNITY})`,
        message: `must be a community; ${COMMUNITY_HELP}`,
        fix: "write AS:value (e.g. 64512:100) or large:global:local1:local2 (e.g. large:64512:1:2)",
      }),
    }),
  },
  { additionalProperties: false },
);

export const CommunitySpec = Type.Object(
  {
    communities: Type.Optional(
      Type.Array(CommunityAlias, {
        maxItems: 256,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        description: "Named communities.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type CommunitySpec = Static<typeof CommunitySpec>;

export const CommunityKind: KindDef = {
  kind: "Community",
  plural: "communities",
  description: "Names for BGP community values.",
  versions: v1beta1Only,
  spec: CommunitySpec,
};
