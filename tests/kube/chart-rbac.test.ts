// The chart's RBAC, applied to the real API server and bound to the chart's ServiceAccounts:
// the controller and the speaker may do exactly what src/runtime/*/rbac.ts lists (the runtime's
// needs), in the scopes it lists them for, and nothing else on a matrix of resources and verbs.
import {
  AuthorizationV1Api,
  KubernetesObjectApi,
  type KubernetesObject,
  type V1PolicyRule,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CONTROLLER_CLUSTER_RULES,
  CONTROLLER_NAMESPACE_RULES,
} from "../../src/api/rbac/controller.js";
import { SPEAKER_CLUSTER_RULES, SPEAKER_NAMESPACE_RULES } from "../../src/api/rbac/speaker.js";
import { KINDS } from "../../src/api/kinds/index.js";
import type { KubeObject } from "../../src/gitops/tools/helm.js";
import { render } from "./chart-helpers.js";
import { kubeConfigFor } from "./client.js";
import { rulesAllow, type Access } from "./rbac-rules.js";

// A namespace of our own (not metallb-system), so that no other test's grants blur the answers.
const NS = "dist-rbac";
const OTHER_NS = "dist-rbac-other";
const admin = kubeConfigFor("admin");
const authz = admin.makeApiClient(AuthorizationV1Api);
const objects = KubernetesObjectApi.makeApiClient(admin);

const RUNTIME: Record<
  "controller" | "speaker",
  { cluster: V1PolicyRule[]; namespace: V1PolicyRule[] }
> = {
  controller: { cluster: CONTROLLER_CLUSTER_RULES, namespace: CONTROLLER_NAMESPACE_RULES },
  speaker: { cluster: SPEAKER_CLUSTER_RULES, namespace: SPEAKER_NAMESPACE_RULES },
};

const METALLB = KINDS.map((k) => k.plural);
const RESOURCES: [string, string][] = [
  ["", "services"],
  ["", "services/status"],
  ["", "pods"],
  ["", "nodes"],
  ["", "nodes/status"],
  ["", "secrets"],
  ["", "configmaps"],
  ["", "namespaces"],
  ["", "events"],
  ["", "endpoints"],
  ["", "serviceaccounts/token"],
  ["discovery.k8s.io", "endpointslices"],
  ["coordination.k8s.io", "leases"],
  ["apps", "daemonsets"],
  ["apps", "deployments"],
  ["rbac.authorization.k8s.io", "clusterrolebindings"],
  ["apiextensions.k8s.io", "customresourcedefinitions"],
  ["authentication.k8s.io", "tokenreviews"],
  ["authorization.k8s.io", "subjectaccessreviews"],
  ...METALLB.flatMap((r): [string, string][] => [
    ["metallb.io", r],
    ["metallb.io", `${r}/status`],
  ]),
];
const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const SCOPES = [
  { name: "cluster-wide", namespace: "" },
  { name: "release namespace", namespace: NS },
  { name: "another namespace", namespace: OTHER_NS },
];

async function allowed(sa: string, a: Access, namespace: string): Promise<boolean> {
  const [resource = "", subresource] = a.resource.split("/");
  const review = await authz.createSubjectAccessReview({
    body: {
      spec: {
        user: `system:serviceaccount:${NS}:${sa}`,
        groups: ["system:serviceaccounts", `system:serviceaccounts:${NS}`, "system:authenticated"],
        resourceAttributes: {
          group: a.group,
          resource,
          ...(subresource ? { subresource } : {}),
          verb: a.verb,
          ...(namespace ? { namespace } : {}),
        },
      },
    },
  });
  return review.status?.allowed ?? false;
}

let rbacObjects: KubeObject[] = [];

beforeAll(async () => {
  rbacObjects = (await render(NS)).filter((o) =>
    o.apiVersion.startsWith("rbac.authorization.k8s.io/"),
  );
  await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  for (const o of rbacObjects) await objects.create(o);
});

afterAll(async () => {
  for (const o of rbacObjects) await objects.delete(o as KubernetesObject).catch(() => undefined);
  await objects
    .delete({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } })
    .catch(() => undefined);
});

describe.each(["controller", "speaker"] as const)("RBAC of the %s", (sa) => {
  it("binds the chart's rules to the ServiceAccount of that name", () => {
    const bindings = rbacObjects.filter((o) => o.kind.endsWith("Binding"));
    const subjects = bindings.flatMap((b) => (b.subjects as { name: string }[]).map((s) => s.name));
    expect(subjects.filter((s) => s === sa)).toHaveLength(2);
  });

  it.each(SCOPES)(
    "$name: the API server allows exactly what the runtime's rules list",
    async ({ namespace }) => {
      const rules = RUNTIME[sa];
      const granted = namespace === NS ? [...rules.cluster, ...rules.namespace] : rules.cluster;
      const accesses = RESOURCES.flatMap(([group, resource]) =>
        VERBS.map((verb) => ({ group, resource, verb })),
      );
      const answers = await Promise.all(accesses.map((a) => allowed(sa, a, namespace)));
      const show = (a: Access) => `${a.verb} ${a.group || "core"}/${a.resource}`;
      const actual = accesses.filter((_, i) => answers[i]).map(show);
      const expected = accesses.filter((a) => rulesAllow(granted, a)).map(show);
      expect(actual).toEqual(expected);
      expect(actual.length).toBeGreaterThan(0);
    },
  );

  it("every access the runtime's rules list is on the probed matrix", () => {
    const all = [...RUNTIME[sa].cluster, ...RUNTIME[sa].namespace];
    for (const r of all)
      for (const resource of r.resources ?? [])
        for (const group of r.apiGroups ?? [])
          expect(
            RESOURCES.some(([g, res]) => g === group && res === resource),
            `${group}/${resource}`,
          ).toBe(true);
  });
});

describe("what neither component may do", () => {
  it.each([
    ["controller", { group: "", resource: "secrets", verb: "get" }, ""],
    ["speaker", { group: "", resource: "secrets", verb: "list" }, ""],
    ["speaker", { group: "", resource: "secrets", verb: "get" }, OTHER_NS],
    ["speaker", { group: "", resource: "pods", verb: "delete" }, NS],
    ["controller", { group: "", resource: "pods", verb: "delete" }, ""],
    ["speaker", { group: "", resource: "nodes", verb: "patch" }, ""],
    ["speaker", { group: "", resource: "services/status", verb: "patch" }, ""],
    ["controller", { group: "metallb.io", resource: "ipaddresspools", verb: "update" }, NS],
    ["controller", { group: "metallb.io", resource: "ipaddresspools", verb: "list" }, OTHER_NS],
  ] as const)("%s: %o in namespace '%s' is denied", async (sa, access, namespace) => {
    expect(await allowed(sa, access, namespace)).toBe(false);
  });
});
