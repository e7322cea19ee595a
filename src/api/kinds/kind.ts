// What the generators need to know about one metallb.io kind besides its schema.
import type { TSchema } from "@sinclair/typebox";

export const GROUP = "metallb.io";

export interface KindVersion {
  name: string;
  storage: boolean;
  deprecationWarning?: string;
}

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "boolean" | "date";
  jsonPath: string;
  priority?: number;
}

export interface KindDef {
  kind: string;
  plural: string;
  description: string;
  /** Every served version shares the schema: no conversion webhook is ever needed. */
  versions: KindVersion[];
  spec: TSchema;
  status?: TSchema;
  /** Object-level CEL rules (spec/status transitions that need both). */
  printerColumns?: PrinterColumn[];
}

export const v1beta1Only: KindVersion[] = [{ name: "v1beta1", storage: true }];

/** The version objects are written and watched in (the storage version). */
export function storageVersion(def: KindDef): string {
  const v = def.versions.find((x) => x.storage) ?? def.versions[def.versions.length - 1];
  if (!v) throw new Error(`${def.kind} declares no version`);
  return v.name;
}

/** "metallb.io/v1beta2" */
export const apiVersionOf = (def: KindDef): string => `${GROUP}/${storageVersion(def)}`;

/** The REST path of a kind's objects in a namespace. */
export const apiPathOf = (def: KindDef, namespace: string): string =>
  `/apis/${GROUP}/${storageVersion(def)}/namespaces/${namespace}/${def.plural}`;
