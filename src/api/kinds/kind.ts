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
