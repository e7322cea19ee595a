// Building blocks shared by every metallb.io kind: Kubernetes extension keywords, label selectors,
// durations, names. TypeBox options carry the `x-kubernetes-*` keywords so that one schema yields
// the CRD (structural + CEL), the JSON Schema and the TypeScript type.
import { Type, type TArray, type TString } from "@sinclair/typebox";
import { cel } from "./cel.js";

export const OBJECT_NAME_PATTERN =
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/** RFC 1123 subdomain, the shape of a Kubernetes object name (what references point at). */
export const ObjectName = (description: string): TString =>
  Type.String({
    description,
    minLength: 1,
    maxLength: 253,
    pattern: OBJECT_NAME_PATTERN,
  });

/** A list of object names: unique, bounded so that CEL rules over it have a bounded cost. */
export const ObjectNames = (description: string): TArray<TString> =>
  Type.Array(ObjectName("Name of a referenced object."), {
    description,
    maxItems: 256,
    "x-kubernetes-list-type": "set",
  });

const LabelSelectorRequirement = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 317, description: "The label key." }),
    operator: Type.Union(
      [
        Type.Literal("In"),
        Type.Literal("NotIn"),
        Type.Literal("Exists"),
        Type.Literal("DoesNotExist"),
      ],
      { description: "How the key relates to the values." },
    ),
    values: Type.Optional(
      Type.Array(Type.String({ maxLength: 63 }), {
        maxItems: 256,
        description: "Values for In and NotIn; must be empty for Exists and DoesNotExist.",
      }),
    ),
  },
  {
    additionalProperties: false,
    ...cel(
      {
        rule: "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
        message: "operator In and NotIn need at least one value",
        fieldPath: ".values",
        fix: "list the values the label may (In) or may not (NotIn) have, or use Exists/DoesNotExist",
      },
      {
        rule: "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
        message: "operator Exists and DoesNotExist take no values",
        fieldPath: ".values",
        fix: "remove values, or use In/NotIn to compare the label's value",
      },
    ),
  },
);

/** metav1.LabelSelector with its operator/value rules enforced by the API server. */
export const LabelSelector = Type.Object(
  {
    matchLabels: Type.Optional(
      Type.Record(Type.String(), Type.String({ maxLength: 63 }), {
        description: "Labels that must all be present with these values.",
        maxProperties: 64,
      }),
    ),
    matchExpressions: Type.Optional(
      Type.Array(LabelSelectorRequirement, {
        maxItems: 64,
        description: "Requirements that must all hold.",
      }),
    ),
  },
  { additionalProperties: false, "x-kubernetes-map-type": "atomic" },
);

export const LabelSelectors = (description: string): TArray<typeof LabelSelector> =>
  Type.Array(LabelSelector, { description, maxItems: 64 });

/** Go duration syntax as metav1.Duration serialises it ("90s", "1m30s", "300ms"). */
export const DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$";

export const Duration = (description: string): TString =>
  Type.String({ description, pattern: DURATION_PATTERN, maxLength: 32 });

/** A status condition (metav1.Condition). */
export const Condition = Type.Object({
  type: Type.String({ maxLength: 316 }),
  status: Type.Union([Type.Literal("True"), Type.Literal("False"), Type.Literal("Unknown")]),
  reason: Type.String({ maxLength: 1024 }),
  message: Type.String({ maxLength: 32768 }),
  lastTransitionTime: Type.String({ format: "date-time" }),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const Conditions = Type.Array(Condition, {
  description: "Conditions about this object, e.g. cross-object conflicts found by the controller.",
  maxItems: 32,
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
});

/** Status of configuration kinds: only the controller's conditions about them. */
export const ConditionsStatus = Type.Object(
  { conditions: Type.Optional(Conditions) },
  { additionalProperties: false },
);
