import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { cel, type DeclaredRule } from "../schema/cel.js";
import { DURATION_PATTERN } from "../schema/k8s.js";
import { v1beta1Only, type KindDef } from "./kind.js";

const INTERVAL_FIELDS = ["receiveInterval", "transmitInterval", "echoInterval"] as const;

/**
 * Milliseconds as an integer (MetalLB's form) or a duration string ("300ms"), 10ms to 60s.
 * Accepting both keeps hand-written configs that spell the unit working. The API server cannot
 * attach CEL to an int-or-string field itself, so the range rule lives on the parent object.
 */
const Interval = (description: string): TSchema =>
  Type.Union([Type.Integer(), Type.String({ maxLength: 32 })], {
    description: `${description} Milliseconds (300) or a duration ("300ms"); 10ms to 60s.`,
    "x-kubernetes-int-or-string": true,
  });

const DURATION_CEL = DURATION_PATTERN.replaceAll("\\", "\\\\");

const intervalRule = (field: (typeof INTERVAL_FIELDS)[number]): DeclaredRule => ({
  rule:
    `!has(self.${field}) || (type(self.${field}) == int ? ` +
    `(self.${field} >= 10 && self.${field} <= 60000) : ` +
    `(string(self.${field}).matches('${DURATION_CEL}') && ` +
    `duration(string(self.${field})) >= duration('10ms') && duration(string(self.${field})) <= duration('60s')))`,
  message: "must be 10 to 60000 milliseconds, as an integer or a duration such as 300ms",
  fieldPath: `.${field}`,
  fix: "write milliseconds (300) or a duration (300ms) between 10ms and 60s",
});

export const BFDProfileSpec = Type.Object(
  {
    receiveInterval: Type.Optional(Interval("Minimum interval this system can receive at.")),
    transmitInterval: Type.Optional(Interval("Minimum interval this system sends at.")),
    detectMultiplier: Type.Optional(
      Type.Integer({
        minimum: 2,
        maximum: 255,
        description: "Lost packets before a session is down.",
      }),
    ),
    echoInterval: Type.Optional(Interval("Minimum echo interval.")),
    echoMode: Type.Optional(Type.Boolean({ description: "Enable echo packets." })),
    passiveMode: Type.Optional(
      Type.Boolean({ description: "Wait for the peer to start the session." }),
    ),
    minimumTtl: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 254, description: "Minimum TTL of incoming packets." }),
    ),
  },
  { additionalProperties: false, ...cel(...INTERVAL_FIELDS.map(intervalRule)) },
);

export type BFDProfileSpec = Static<typeof BFDProfileSpec>;

export const BFDProfileKind: KindDef = {
  kind: "BFDProfile",
  plural: "bfdprofiles",
  description: "Bidirectional Forwarding Detection settings referenced by BGPPeers (FRR mode).",
  versions: v1beta1Only,
  spec: BFDProfileSpec,
  printerColumns: [
    { name: "Passive Mode", type: "boolean", jsonPath: ".spec.passiveMode" },
    { name: "Transmit Interval", type: "string", jsonPath: ".spec.transmitInterval" },
    { name: "Receive Interval", type: "string", jsonPath: ".spec.receiveInterval" },
    { name: "Multiplier", type: "integer", jsonPath: ".spec.detectMultiplier" },
  ],
};
