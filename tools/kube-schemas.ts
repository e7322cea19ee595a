// Vendors the schemas `metallb-ts validate` checks rendered built-in, Flux and Prometheus-operator
// objects against, from their maintained sources, pinned to what the test environment runs:
// - Kubernetes: the OpenAPI v3 documents in the k8s.io/kubernetes module our kube-apiserver is
//   built from (api/openapi-spec/v3), version read from tools/go/kube/go.mod;
// - Flux: the CRDs of the controllers tools/provision.sh builds (bin/flux-crds/);
// - Prometheus operator: the CRDs in its Go module (example/prometheus-operator-crd/).
// The result, src/gitops/validate/kube-schemas.json, is committed; tests/kube/kube-schemas.test.ts
// regenerates it and fails on any difference. Run: `npm run schemas:vendor`.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const KUBE_SCHEMAS_PATH = join(root, "src/gitops/validate/kube-schemas.json");
const PROMETHEUS_OPERATOR = "v0.85.0";

/** The kinds the chart and the synth render, by "apiVersion/kind". */
const KUBERNETES_KINDS = [
  "v1/Namespace",
  "v1/Secret",
  "v1/Service",
  "v1/ServiceAccount",
  "v1/ConfigMap",
  "apps/v1/Deployment",
  "apps/v1/DaemonSet",
  "policy/v1/PodDisruptionBudget",
  "networking.k8s.io/v1/NetworkPolicy",
  "rbac.authorization.k8s.io/v1/ClusterRole",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
  "rbac.authorization.k8s.io/v1/Role",
  "rbac.authorization.k8s.io/v1/RoleBinding",
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy",
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding",
];
const CRD_KINDS = [
  "helm.toolkit.fluxcd.io/v2/HelmRelease",
  "kustomize.toolkit.fluxcd.io/v1/Kustomization",
  "source.toolkit.fluxcd.io/v1/GitRepository",
  "source.toolkit.fluxcd.io/v1/HelmRepository",
  "source.toolkit.fluxcd.io/v1/OCIRepository",
  "notification.toolkit.fluxcd.io/v1/Receiver",
  "monitoring.coreos.com/v1/ServiceMonitor",
  "monitoring.coreos.com/v1/PrometheusRule",
];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The JSON Schema keywords kept. Descriptions, defaults and patch strategies are dropped, and
 * formats but those the API server's decoder enforces the way JSON Schema does (base64 bytes,
 * 32- and 64-bit integers); `nullable` is moot because validate drops null fields first, as the
 * API server's decoder does.
 */
const FORMATS = new Set(["byte", "int32", "int64"]);
const KEEP = new Set([
  "type",
  "properties",
  "items",
  "required",
  "enum",
  "$ref",
  "allOf",
  "anyOf",
  "oneOf",
  "additionalProperties",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  // CRD rules: validate evaluates them with the same CEL engine as our own CRDs' rules.
  "x-kubernetes-validations",
]);

function jsPattern(p: string): boolean {
  try {
    new RegExp(p, "u");
    return true;
  } catch {
    return false;
  }
}

function clean(schema: unknown, refs: Set<string>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => clean(s, refs));
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "format" && typeof v === "string" && FORMATS.has(v)) out[k] = v;
    if (!KEEP.has(k)) continue;
    // RE2 syntax JavaScript lacks (inline flags such as Prometheus' "(?i)"): the API server checks
    // those patterns, validate cannot; dropped rather than misread.
    if (k === "pattern" && typeof v === "string" && !jsPattern(v)) continue;
    if (k === "$ref" && typeof v === "string") {
      const name = v.replace("#/components/schemas/", "");
      refs.add(name);
      out[k] = `#/$defs/${name}`;
    } else if (k === "properties" && isObject(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, clean(s, refs)]));
    else if (
      k === "enum" ||
      k === "required" ||
      k === "x-kubernetes-list-map-keys" ||
      k === "x-kubernetes-validations"
    )
      out[k] = v;
    else out[k] = clean(v, refs);
  }
  if (schema["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  // A `{ allOf: [{ $ref }] }` wrapper (how OpenAPI v3 attaches a default) is the reference itself.
  const all = out.allOf;
  if (Array.isArray(all) && all.length === 1 && Object.keys(out).length === 1) return all[0];
  return out;
}

function kubernetesVersion(): string {
  const mod = readFileSync(join(root, "tools/go/kube/go.mod"), "utf8");
  const m = /^\s*k8s\.io\/kubernetes (v\d+\.\d+\.\d+)\b/m.exec(mod);
  if (!m?.[1]) throw new Error("tools/go/kube/go.mod: no k8s.io/kubernetes requirement");
  return m[1];
}

/**
 * The directory of a module in the Go module cache, downloading it when it is not there yet (a
 * fresh machine has the modules the provisioned builds needed, not this one).
 */
const moduleDir = (module: string, version: string): string => {
  const out = execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], {
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" },
  });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${module}@${version} gave no directory: ${out}`);
  return dir;
};

/** The definitions of a Kubernetes OpenAPI v3 document, and its kinds by "apiVersion/kind". */
function openApiDocument(path: string): { defs: Json; kinds: Map<string, string> } {
  const doc = JSON.parse(readFileSync(path, "utf8")) as { components?: { schemas?: Json } };
  const defs = doc.components?.schemas ?? {};
  const kinds = new Map<string, string>();
  for (const [name, s] of Object.entries(defs)) {
    const gvks = isObject(s) ? s["x-kubernetes-group-version-kind"] : undefined;
    if (!Array.isArray(gvks)) continue;
    for (const gvk of gvks as { group: string; version: string; kind: string }[])
      kinds.set(`${gvk.group ? `${gvk.group}/` : ""}${gvk.version}/${gvk.kind}`, name);
  }
  return { defs, kinds };
}

function crdSchemas(dirs: string[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const dir of dirs)
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml")))
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
        const crd = doc.toJS() as {
          kind?: string;
          spec?: {
            group: string;
            names: { kind: string };
            versions: { name: string; schema?: { openAPIV3Schema?: unknown } }[];
          };
        };
        if (crd?.kind !== "CustomResourceDefinition" || !crd.spec) continue;
        for (const v of crd.spec.versions)
          out.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, v.schema?.openAPIV3Schema);
      }
  return out;
}

export interface VendoredSchemas {
  sources: Record<string, string>;
  /** Shared definitions of the Kubernetes kinds (`#/$defs/<name>`). */
  $defs: Json;
  /** Each kind's schema: a reference into $defs, or a CRD's own schema. */
  kinds: Record<string, unknown>;
}

/** The vendored schemas, built from the sources on this machine. */
export function vendorSchemas(): VendoredSchemas {
  const kver = kubernetesVersion();
  const specDir = join(moduleDir("k8s.io/kubernetes", kver), "api/openapi-spec/v3");
  const raw: Json = {};
  const names = new Map<string, string>();
  for (const file of readdirSync(specDir).filter((f) => f.endsWith("_openapi.json"))) {
    const { defs, kinds } = openApiDocument(join(specDir, file));
    Object.assign(raw, defs);
    for (const [k, n] of kinds) names.set(k, n);
  }
  const $defs: Json = {};
  const pending = new Set<string>();
  const kinds: Record<string, unknown> = {};
  for (const k of KUBERNETES_KINDS) {
    const name = names.get(k);
    if (!name) throw new Error(`${k}: not in ${specDir}`);
    pending.add(name);
    kinds[k] = { $ref: `#/$defs/${name}` };
  }
  while (pending.size) {
    const [name] = pending;
    pending.delete(name as string);
    if (name === undefined || name in $defs) continue;
    const refs = new Set<string>();
    $defs[name] = clean(raw[name], refs);
    for (const r of refs) if (!(r in $defs)) pending.add(r);
  }

  const cache = process.env.METALLB_TS_CACHE ?? join(homedir(), ".cache/metallb-ts");
  const fluxDir = join(cache, "bin/flux-crds");
  const promDir = join(
    moduleDir("github.com/prometheus-operator/prometheus-operator", PROMETHEUS_OPERATOR),
    "example/prometheus-operator-crd",
  );
  const crds = crdSchemas([...readdirSync(fluxDir).map((d) => join(fluxDir, d)), promDir]);
  for (const k of CRD_KINDS) {
    const schema = crds.get(k);
    if (!schema) throw new Error(`${k}: no CRD found in ${fluxDir} or ${promDir}`);
    kinds[k] = clean(schema, new Set());
  }
  const sorted = (o: Json): Json =>
    Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  return {
    sources: {
      kubernetes: `k8s.io/kubernetes ${kver} api/openapi-spec/v3`,
      flux: "CRDs of the controllers tools/provision.sh builds",
      "prometheus-operator": `github.com/prometheus-operator/prometheus-operator ${PROMETHEUS_OPERATOR}`,
    },
    $defs: sorted($defs),
    kinds: sorted(kinds),
  };
}

export const renderVendored = (v: VendoredSchemas): string => `${JSON.stringify(v)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(KUBE_SCHEMAS_PATH, renderVendored(vendorSchemas()));
  console.log(`wrote ${KUBE_SCHEMAS_PATH}`);
}
