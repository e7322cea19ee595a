// KindDef → CustomResourceDefinition (apiextensions.k8s.io/v1).
import { GROUP, type KindDef } from "../kinds/kind.js";
import { plain, toStructural, type JsonObject } from "./structural.js";

function objectSchema(def: KindDef): JsonObject {
  const spec = toStructural(plain(def.spec));
  const specRequired = Array.isArray(spec.required) && spec.required.length > 0;
  const properties: JsonObject = {
    apiVersion: { type: "string", description: "Versioned schema of this object." },
    kind: { type: "string", description: "The REST resource this object represents." },
    metadata: { type: "object" },
    spec,
  };
  if (def.status) properties.status = toStructural(plain(def.status));
  return {
    type: "object",
    description: def.description,
    properties,
    ...(specRequired ? { required: ["spec"] } : {}),
  };
}

export function crdFor(def: KindDef): JsonObject {
  const schema = objectSchema(def);
  const columns = [
    ...(def.printerColumns ?? []),
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ];
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { "app.kubernetes.io/part-of": "metallb-ts" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.kind.toLowerCase(),
      },
      scope: "Namespaced",
      versions: def.versions.map((v) => ({
        name: v.name,
        served: true,
        storage: v.storage,
        ...(v.deprecationWarning
          ? { deprecated: true, deprecationWarning: v.deprecationWarning }
          : {}),
        schema: { openAPIV3Schema: schema },
        ...(def.status ? { subresources: { status: {} } } : {}),
        additionalPrinterColumns: columns,
      })),
    },
  };
}
