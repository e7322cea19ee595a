// Checks one rendered Kubernetes object offline against the schema of its kind: metallb.io kinds
// against the JSON Schemas generated from src/api; built-in, Flux and Prometheus-operator kinds
// against schemas vendored from their maintained sources (kube-schemas.json, written by
// tools/kube-schemas.ts from the Kubernetes OpenAPI documents and the CRDs): types, enums,
// required fields, bounds, patterns and list keys. Unknown fields are the API server's job: the
// kube tests apply everything with strict fields.
import type { Ajv, ValidateFunction } from "ajv";
import { KINDS } from "../../api/kinds/index.js";
import { jsonSchemaFor } from "../../api/generate/json-schema.js";
import { makeAjv } from "./ajv.js";
import type { KubeObject } from "../tools/helm.js";
import vendored from "./kube-schemas.json" with { type: "json" };
import type { TSchema } from "@sinclair/typebox";
import { ruleViolations } from "../../model/index.js";
import { error, type Problem } from "./problem.js";
import { schemaProblems } from "./schema-check.js";

const VENDORED_KINDS = vendored.kinds as Record<string, object>;

let kube: Ajv | undefined;
const kubeValidators = new Map<string, ValidateFunction>();

/** The validator of a vendored kind, compiled on first use (Deployment alone is ~250 definitions). */
function kubeValidator(key: string): ValidateFunction | undefined {
  const schema = VENDORED_KINDS[key];
  if (!schema) return undefined;
  let v = kubeValidators.get(key);
  if (!v) {
    if (!kube) {
      kube = makeAjv({ verbose: true });
      kube.addSchema({ $id: "kube", $defs: vendored.$defs });
    }
    const ref = (schema as { $ref?: string }).$ref;
    v = kube.compile(ref ? { $ref: `kube${ref}` } : schema);
    kubeValidators.set(key, v);
  }
  return v;
}

let metallb: Map<string, ValidateFunction> | undefined;
function metallbSchemas(): Map<string, ValidateFunction> {
  if (!metallb) {
    const ajv = makeAjv({ verbose: true });
    metallb = new Map(KINDS.map((def) => [def.kind, ajv.compile(jsonSchemaFor(def))]));
  }
  return metallb;
}

/** What the API server reads: base64 in Secret data may be wrapped (Go's decoder skips newlines). */
function normalized(o: KubeObject): KubeObject {
  if (o.kind !== "Secret" || typeof o.data !== "object" || o.data === null) return o;
  const data = Object.fromEntries(
    Object.entries(o.data as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === "string" ? v.replace(/[\r\n]/g, "") : v,
    ]),
  );
  return { ...o, data };
}

/** What the API server's decoder reads: a field set to null is a field left out. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, withoutNulls(x)]),
  );
}

/** Problems with one object; paths start at the object's root. */
export function objectProblems(o: KubeObject): Problem[] {
  if (o.apiVersion?.startsWith("metallb.io/")) {
    const validate = metallbSchemas().get(o.kind);
    if (validate) return schemaProblems(validate, o);
  }
  const validate = kubeValidator(`${o.apiVersion}/${o.kind}`);
  if (!validate)
    return [
      error(
        ["kind"],
        `no schema is known for ${o.apiVersion} ${o.kind}`,
        "render only the kinds the chart and synth produce, or add the kind to tools/kube-schemas.ts and run npm run schemas:vendor",
      ),
    ];
  const value = withoutNulls(normalized(o));
  const problems = schemaProblems(validate, value);
  // A CRD's own CEL rules (Flux's: chart or chartRef, verify only for HelmRepository, …).
  const schema = VENDORED_KINDS[`${o.apiVersion}/${o.kind}`] as TSchema & { $ref?: string };
  if (schema.$ref) return problems;
  return [
    ...problems,
    ...ruleViolations(schema, value).map((v) =>
      error(v.field, v.message, `change the ${o.kind} so that its CRD's rule holds: ${v.rule}`),
    ),
  ];
}
