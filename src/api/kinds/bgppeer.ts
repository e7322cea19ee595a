import { Type, type Static } from "@sinclair/typebox";
import { cel } from "../schema/cel.js";
import { ConditionsStatus, Duration, LabelSelectors, ObjectName } from "../schema/k8s.js";
import type { KindDef } from "./kind.js";

const Asn = (description: string) =>
  Type.Integer({ description, minimum: 1, maximum: 4294967295, format: "int64" });

const IpAddress = (description: string) =>
  Type.String({
    description,
    maxLength: 45,
    ...cel({
      rule: "isIP(self)",
      message: "must be an IPv4 or IPv6 address without a zone",
      fix: "write an address such as 192.0.2.1 or 2001:db8::1",
    }),
  });

/** Absent hold time means 90s, the RFC 4271 suggestion MetalLB also uses. */
const HOLD = "(has(self.holdTime) ? duration(self.holdTime) : duration('90s'))";

export const BGPPeerSpec = Type.Object(
  {
    myASN: Asn("The local AS number (4-byte ASNs allowed)."),
    peerASN: Type.Optional(Asn("The peer's AS number; or set dynamicASN.")),
    dynamicASN: Type.Optional(
      Type.Union([Type.Literal("internal"), Type.Literal("external")], {
        description:
          "Accept the peer's AS from its OPEN: internal (= myASN) or external (≠ myASN).",
      }),
    ),
    peerAddress: Type.Optional(IpAddress("The peer's address; or set interface (unnumbered).")),
    interface: Type.Optional(
      Type.String({
        description: "Interface for BGP unnumbered (link-local IPv6); FRR mode.",
        pattern: "^[^\\s/:]{1,15}$",
        maxLength: 15,
      }),
    ),
    sourceAddress: Type.Optional(IpAddress("Local address the session is opened from.")),
    peerPort: Type.Optional(
      Type.Integer({
        default: 179,
        minimum: 1,
        maximum: 65535,
        description: "The peer's TCP port.",
      }),
    ),
    holdTime: Type.Optional(Duration("Proposed hold time: 0s (no keepalives) or 3s to 65535s.")),
    keepaliveTime: Type.Optional(Duration("Keepalive interval; at most the hold time.")),
    connectTime: Type.Optional(Duration("Wait between connection attempts (1s to 65535s).")),
    routerID: Type.Optional(
      Type.String({
        description: "BGP identifier (an IPv4 address); derived from the node when empty.",
        maxLength: 15,
        ...cel({
          rule: "isIP(self) && ip(self).family() == 4",
          message: "must be an IPv4 address such as 192.0.2.1 (BGP identifiers are 32-bit)",
          fix: "BGP identifiers are 32-bit: write an IPv4 address such as 192.0.2.10",
        }),
      }),
    ),
    nodeSelectors: Type.Optional(LabelSelectors("Nodes that peer; all nodes when empty.")),
    password: Type.Optional(
      Type.String({ maxLength: 80, description: "TCP MD5 key; prefer passwordSecret." }),
    ),
    passwordSecret: Type.Optional(
      Type.Object(
        {
          name: ObjectName(
            "Secret of type kubernetes.io/basic-auth holding the key in 'password'.",
          ),
          namespace: Type.Optional(ObjectName("Namespace of the Secret (the BGPPeer's own).")),
        },
        { additionalProperties: false, "x-kubernetes-map-type": "atomic" },
      ),
    ),
    bfdProfile: Type.Optional(ObjectName("BFDProfile (by name) for this session; FRR mode.")),
    enableGracefulRestart: Type.Optional(
      Type.Boolean({ description: "Negotiate graceful restart (RFC 4724). Immutable." }),
    ),
    ebgpMultiHop: Type.Optional(
      Type.Boolean({ description: "The eBGP peer is several hops away." }),
    ),
    vrf: Type.Optional(
      Type.String({ maxLength: 15, description: "VRF the session runs in; FRR mode." }),
    ),
    disableMP: Type.Optional(
      Type.Boolean({
        description: "Deprecated: one session per address family instead of MP-BGP.",
      }),
    ),
    dualStackAddressFamily: Type.Optional(
      Type.Boolean({ description: "Announce both address families over this one session." }),
    ),
  },
  {
    additionalProperties: false,
    ...cel(
      {
        rule: "has(self.peerASN) != has(self.dynamicASN)",
        message: "set exactly one of peerASN and dynamicASN",
        fieldPath: ".peerASN",
        fix: "keep peerASN for a fixed AS, dynamicASN: internal|external otherwise",
      },
      {
        rule: "has(self.peerAddress) != has(self.interface)",
        message: "set exactly one of peerAddress and interface",
        fieldPath: ".peerAddress",
        fix: "keep peerAddress, or interface for BGP unnumbered",
      },
      {
        rule: "!(has(self.password) && has(self.passwordSecret))",
        message: "password and passwordSecret are mutually exclusive; keep passwordSecret",
        fieldPath: ".password",
        fix: "remove password; the key belongs in the Secret passwordSecret names",
      },
      {
        rule:
          "!has(self.holdTime) || duration(self.holdTime) == duration('0s') || " +
          "(duration(self.holdTime) >= duration('3s') && duration(self.holdTime) <= duration('65535s'))",
        message: "holdTime must be 0s or between 3s and 65535s (RFC 4271)",
        fieldPath: ".holdTime",
        fix: "use 0s (no keepalives) or 3s to 65535s, e.g. 90s",
      },
      {
        rule: `!has(self.keepaliveTime) || duration(self.keepaliveTime) <= ${HOLD}`,
        message: "keepaliveTime must not exceed holdTime (90s when holdTime is unset)",
        fieldPath: ".keepaliveTime",
        fix:
          "use at most a third of the hold time, e.g. 30s for 90s; with holdTime 0s no keepalives " +
          "are sent, so remove keepaliveTime or set it to 0s",
      },
      {
        rule:
          "!has(self.connectTime) || " +
          "(duration(self.connectTime) >= duration('1s') && duration(self.connectTime) <= duration('65535s'))",
        message: "connectTime must be between 1s and 65535s",
        fieldPath: ".connectTime",
        fix: "use e.g. 10s",
      },
      {
        rule:
          "!has(self.sourceAddress) || !has(self.peerAddress) || !isIP(self.sourceAddress) || " +
          "!isIP(self.peerAddress) || ip(self.sourceAddress).family() == ip(self.peerAddress).family()",
        message: "sourceAddress must be of the same IP family as peerAddress",
        fieldPath: ".sourceAddress",
        fix: "use a source address of the peer's family",
      },
      {
        rule:
          "(has(self.enableGracefulRestart) && self.enableGracefulRestart) == " +
          "(has(oldSelf.enableGracefulRestart) && oldSelf.enableGracefulRestart)",
        message: "enableGracefulRestart cannot be changed after creation; recreate the BGPPeer",
        fieldPath: ".enableGracefulRestart",
        fix: "delete the BGPPeer and create it again with the value you want",
      },
    ),
  },
);

export type BGPPeerSpec = Static<typeof BGPPeerSpec>;

export const BGPPeerKind: KindDef = {
  kind: "BGPPeer",
  plural: "bgppeers",
  description: "A BGP session the speakers open to a router.",
  // v1beta1's fields are a subset of v1beta2's, so both are served from one schema with no
  // conversion webhook; v1beta2 is stored.
  versions: [
    {
      name: "v1beta1",
      storage: false,
      deprecationWarning: "metallb.io/v1beta1 BGPPeer is deprecated; use metallb.io/v1beta2",
    },
    { name: "v1beta2", storage: true },
  ],
  spec: BGPPeerSpec,
  status: ConditionsStatus,
  printerColumns: [
    { name: "Address", type: "string", jsonPath: ".spec.peerAddress" },
    { name: "ASN", type: "string", jsonPath: ".spec.peerASN" },
    { name: "BFD Profile", type: "string", jsonPath: ".spec.bfdProfile" },
    { name: "Multi Hops", type: "string", jsonPath: ".spec.ebgpMultiHop" },
  ],
};
