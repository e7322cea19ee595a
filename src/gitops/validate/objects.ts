// Checks one rendered Kubernetes object offline against the schema of its kind: metallb.io kinds
// against the JSON Schemas generated from src/api; built-in, Flux and Prometheus-operator kinds
// against the OpenAPI schemas published with kubernetes-models (types, enums, required fields;
// unknown fields are the API server's job: the kube tests apply everything with strict fields).
import type { ValidateFunction } from "ajv";
// Deep imports: each package's index loads every model of its group (about a second each).
import { ValidatingAdmissionPolicy } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy";
import { ValidatingAdmissionPolicyBinding } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { HelmRelease } from "@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2/HelmRelease";
import { Kustomization } from "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization";
import { GitRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository";
import { HelmRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/HelmRepository";
import { OCIRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/OCIRepository";
import { Receiver } from "@kubernetes-models/flux-cd/notification.toolkit.fluxcd.io/v1/Receiver";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { KINDS } from "../../api/kinds/index.js";
import { jsonSchemaFor } from "../../api/generate/json-schema.js";
import { makeAjv } from "./ajv.js";
import type { KubeObject } from "../tools/helm.js";
import { error, type Problem } from "./problem.js";
import { pointerToPath, schemaProblems } from "./schema-check.js";

interface Model {
  validate(): void;
}
type ModelClass = new (data: never) => Model;

const MODELS: Record<string, ModelClass> = Object.fromEntries(
  (
    [
      Namespace,
      Secret,
      Service,
      ServiceAccount,
      Deployment,
      DaemonSet,
      PodDisruptionBudget,
      NetworkPolicy,
      ClusterRole,
      ClusterRoleBinding,
      Role,
      RoleBinding,
      ValidatingAdmissionPolicy,
      ValidatingAdmissionPolicyBinding,
      HelmRelease,
      Kustomization,
      GitRepository,
      HelmRepository,
      OCIRepository,
      Receiver,
      ServiceMonitor,
      PrometheusRule,
    ] as unknown as (ModelClass & { apiVersion: string; kind: string })[]
  ).map((m) => [`${m.apiVersion}/${m.kind}`, m]),
);

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

interface ModelError {
  instancePath?: string;
  message?: string;
}

/** Problems with one object; paths start at the object's root. */
export function objectProblems(o: KubeObject): Problem[] {
  if (o.apiVersion?.startsWith("metallb.io/")) {
    const validate = metallbSchemas().get(o.kind);
    if (validate) return schemaProblems(validate, o);
  }
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model)
    return [
      error(
        ["kind"],
        `no schema is known for ${o.apiVersion} ${o.kind}`,
        "render only the kinds the chart and synth produce, or teach src/gitops/validate/objects.ts this kind",
      ),
    ];
  try {
    new Model(normalized(o) as never).validate();
    return [];
  } catch (err) {
    const details = (err as { errors?: ModelError[] }).errors;
    if (!details?.length)
      return [error([], err instanceof Error ? err.message : String(err), "correct the object")];
    return details.map((d) =>
      error(
        pointerToPath(d.instancePath ?? ""),
        d.message ?? "is invalid",
        "correct the field to match its kind's schema",
      ),
    );
  }
}
