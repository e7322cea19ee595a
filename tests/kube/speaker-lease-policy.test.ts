// The chart's speaker Lease policy on the real API server, with the tokens a speaker really has:
// ServiceAccount tokens bound to a speaker Pod on a node (TokenRequest with a Pod reference, as the
// kubelet projects them), which carry the node's name. A speaker writes its own Lease and nothing
// else; RBAC alone would let it write any Lease of its namespace.
import {
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Lease,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeApiError } from "../../src/lab/kube/crds.js";
import { mergePatch, microTime } from "../../src/runtime/kube/patch.js";
import { waitFor } from "../../src/sys/proc.js";
import { render } from "./chart-helpers.js";
import { kubeConfigFor } from "./client.js";

const NS = "dist-vap";
const NODES = ["vap-n1", "vap-n2"];
const admin = kubeConfigFor("admin");
const core = admin.makeApiClient(CoreV1Api);
const objects = KubernetesObjectApi.makeApiClient(admin);
/** Cluster-scoped objects this file made, removed at the end. */
const made: { apiVersion: string; kind: string; metadata: { name: string } }[] = [];

const lease = (name: string, holder: string): V1Lease => ({
  metadata: { name, namespace: NS },
  spec: { holderIdentity: holder, leaseDurationSeconds: 10 },
});

/** A client authenticated as the speaker ServiceAccount with `token`. */
function speakerLeases(token: string): CoordinationV1Api {
  const kc = new KubeConfig();
  const cluster = admin.getCurrentCluster()!;
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "speaker", token }],
    contexts: [{ name: "speaker", cluster: cluster.name, user: "speaker" }],
    currentContext: "speaker",
  });
  return kc.makeApiClient(CoordinationV1Api);
}

/** A token for the speaker ServiceAccount, bound to the speaker Pod on `node` (or to nothing). */
async function speakerToken(node?: string): Promise<string> {
  const r = await core.createNamespacedServiceAccountToken({
    namespace: NS,
    name: "speaker",
    body: {
      spec: {
        audiences: [],
        expirationSeconds: 3600,
        ...(node
          ? { boundObjectRef: { apiVersion: "v1", kind: "Pod", name: `speaker-${node}` } }
          : {}),
      },
    },
  });
  return r.status?.token ?? "";
}

/** Why the API server refused, or "allowed". */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "allowed",
    (err: unknown) => describeApiError(err),
  );

let asN1: CoordinationV1Api;
let unbound: CoordinationV1Api;

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: NS } } });
  // The chart's identities, RBAC and policy, exactly as rendered.
  const rendered = (await render(NS)).filter((o) =>
    [
      "ServiceAccount",
      "Role",
      "RoleBinding",
      "ClusterRole",
      "ClusterRoleBinding",
      "ValidatingAdmissionPolicy",
      "ValidatingAdmissionPolicyBinding",
    ].includes(o.kind),
  );
  expect(rendered.filter((o) => o.kind.startsWith("ValidatingAdmissionPolicy"))).toHaveLength(2);
  for (const o of rendered) {
    await objects.patch(
      o,
      undefined,
      undefined,
      "metallb-ts-test",
      true,
      PatchStrategy.ServerSideApply,
    );
    if (!o.metadata.namespace) made.push(o);
  }
  for (const node of NODES) {
    await core.createNode({ body: { metadata: { name: node } } }).catch(() => undefined);
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: `speaker-${node}` },
        spec: {
          nodeName: node,
          serviceAccountName: "speaker",
          containers: [{ name: "speaker", image: "metallb-ts-speaker:test" }],
        },
      },
    });
  }
  asN1 = speakerLeases(await speakerToken("vap-n1"));
  unbound = speakerLeases(await speakerToken());
  // The policy takes effect once the API server has loaded it: wait for the first refusal.
  let probes = 0;
  await waitFor(
    "the speaker Lease policy to take effect",
    async () =>
      /may write only Lease/.test(
        await outcome(
          asN1.createNamespacedLease({ namespace: NS, body: lease(`probe-${probes++}`, "vap-n1") }),
        ),
      ) || undefined,
    30_000,
    200,
  );
});

afterAll(async () => {
  for (const o of made) await objects.delete(o).catch(() => undefined);
  for (const node of NODES) await core.deleteNode({ name: node }).catch(() => undefined);
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
});

describe("the speaker Lease policy", () => {
  it("lets a speaker create, renew and delete its own Lease, held as its node", async () => {
    const own = "metallb-speaker-vap-n1";
    expect(
      await outcome(asN1.createNamespacedLease({ namespace: NS, body: lease(own, "vap-n1") })),
    ).toBe("allowed");
    expect(
      await outcome(
        // As the speaker renews: a merge patch (it may not read Leases).
        asN1.patchNamespacedLease(
          {
            namespace: NS,
            name: own,
            body: { spec: { holderIdentity: "vap-n1", renewTime: microTime(Date.now()) } },
          },
          mergePatch,
        ),
      ),
    ).toBe("allowed");
    expect(await outcome(asN1.deleteNamespacedLease({ namespace: NS, name: own }))).toBe("allowed");
  });

  it("refuses another node's Lease, the controller's, and its own held as someone else", async () => {
    await admin.makeApiClient(CoordinationV1Api).createNamespacedLease({
      namespace: NS,
      body: lease("metallb-ts-controller", "controller-0"),
    });
    expect(
      await outcome(
        asN1.createNamespacedLease({
          namespace: NS,
          body: lease("metallb-speaker-vap-n2", "vap-n2"),
        }),
      ),
    ).toMatch(/speaker on node vap-n1 may write only Lease metallb-speaker-vap-n1/);
    expect(
      await outcome(asN1.deleteNamespacedLease({ namespace: NS, name: "metallb-ts-controller" })),
    ).toMatch(/not metallb-ts-controller/);
    expect(
      await outcome(
        asN1.createNamespacedLease({
          namespace: NS,
          body: lease("metallb-speaker-vap-n1", "vap-n2"),
        }),
      ),
    ).toMatch(/must hold its Lease as vap-n1/);
  });

  it("refuses a token not bound to a speaker Pod, saying which token to use", async () => {
    expect(
      await outcome(
        unbound.createNamespacedLease({
          namespace: NS,
          body: lease("metallb-speaker-vap-n1", "vap-n1"),
        }),
      ),
    ).toMatch(/names no node: it must be the token the kubelet projects/);
  });

  it("leaves every other identity alone", async () => {
    expect(
      await outcome(
        admin.makeApiClient(CoordinationV1Api).createNamespacedLease({
          namespace: NS,
          body: lease("metallb-speaker-anything", "whoever"),
        }),
      ),
    ).toBe("allowed");
  });
});
