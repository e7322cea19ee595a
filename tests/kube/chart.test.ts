// charts/metallb-ts as Flux renders it for each example cluster: helm lint passes, the hardening
// is on every container, and the real API server accepts every object (server-side apply, dry
// run) with the metallb.io CRDs installed; Pod Security admission agrees with the namespace labels.
import { CoreV1Api, KubernetesObjectApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeApiError } from "../../src/lab/kube/crds.js";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { helmLint, type KubeObject } from "../../src/gitops/tools/helm.js";
import { objectProblems } from "../../src/gitops/validate/objects.js";
import {
  CHART,
  dryRunApply,
  hardenedValuesFile,
  overrideOf,
  podSpecs,
  render,
  ROOT,
} from "./chart-helpers.js";
import { kubeConfigFor } from "./client.js";

const admin = kubeConfigFor("admin");
const core = admin.makeApiClient(CoreV1Api);
const objects = KubernetesObjectApi.makeApiClient(admin);
const CLUSTERS = ["lab-l2", "lab-bgp"] as const;
const nsOf = (cluster: string) => `dist-${cluster}`;
const PSA = {
  restricted: "dist-psa-restricted",
  baseline: "dist-psa-baseline",
  privileged: "dist-psa-privileged",
};

async function dryRunPod(
  namespace: string,
  name: string,
  spec: unknown,
): Promise<string | undefined> {
  try {
    await core.createNamespacedPod({
      namespace,
      dryRun: "All",
      body: { metadata: { name }, spec } as never,
    });
    return undefined;
  } catch (err) {
    return describeApiError(err);
  }
}

const rendered = new Map<string, KubeObject[]>();

beforeAll(async () => {
  for (const cluster of CLUSTERS) {
    await core.createNamespace({ body: { metadata: { name: nsOf(cluster) } } });
    rendered.set(cluster, await render(nsOf(cluster), [overrideOf(cluster)]));
  }
  for (const [level, name] of Object.entries(PSA))
    await core.createNamespace({
      body: {
        metadata: {
          name,
          labels: {
            "pod-security.kubernetes.io/enforce": level,
            "pod-security.kubernetes.io/enforce-version": "latest",
          },
        },
      },
    });
});

afterAll(async () => {
  // No controller-manager finalises namespaces here; deleting still marks them for cleanup.
  for (const name of [...CLUSTERS.map(nsOf), ...Object.values(PSA)])
    await core.deleteNamespace({ name }).catch(() => undefined);
});

describe.each(CLUSTERS)("chart for %s", (cluster) => {
  const objs = () => rendered.get(cluster) ?? [];

  it("passes helm lint --strict with the hardened and override values", async () => {
    await expect(helmLint(CHART, [hardenedValuesFile(), overrideOf(cluster)])).resolves.toContain(
      "0 chart(s) failed",
    );
  });

  it("renders the workloads, their identities and the cluster's configuration", () => {
    const kinds = objs().map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "ServiceAccount/controller",
        "ServiceAccount/speaker",
        `Deployment/${nsOf(cluster)}-controller`,
        `DaemonSet/${nsOf(cluster)}-speaker`,
        `PodDisruptionBudget/${nsOf(cluster)}-controller`,
        `NetworkPolicy/${nsOf(cluster)}-controller`,
      ]),
    );
    // The heartbeat key is the controller's to make at run time, not the render's.
    expect(objs().filter((o) => o.kind === "Secret")).toEqual([]);
    const controller = podSpecs(objs()).find((p) => p.kind === "Deployment");
    expect(controller?.spec.containers[0]?.args).toContain(
      `--heartbeat-secret=${nsOf(cluster)}-heartbeat`,
    );
    const crs = objs().filter((o) => o.apiVersion.startsWith("metallb.io/"));
    expect(crs.length).toBeGreaterThan(2);
    for (const cr of crs) expect(cr.metadata.namespace).toBe(nsOf(cluster));
  });

  it("renders the same objects every time (nothing random, nothing looked up)", async () => {
    expect(await render(nsOf(cluster), [overrideOf(cluster)])).toEqual(objs());
  });

  it("hardens every container and sets requests and limits", () => {
    for (const { kind, spec } of podSpecs(objs())) {
      for (const c of spec.containers) {
        const sc = c.securityContext ?? {};
        const where = `${kind} container ${c.name}`;
        expect(sc.privileged, where).toBe(false);
        expect(sc.allowPrivilegeEscalation, where).toBe(false);
        expect(sc.readOnlyRootFilesystem, where).toBe(true);
        expect(sc.capabilities?.drop, where).toContain("ALL");
        expect(sc.seccompProfile?.type, where).toBe("RuntimeDefault");
        for (const part of ["limits", "requests"] as const)
          expect(Object.keys(c.resources?.[part] ?? {}).sort(), `${where} ${part}`).toEqual([
            "cpu",
            "memory",
          ]);
      }
    }
  });

  it("gives the controller no capability and no root, the speaker only what raw sockets need", () => {
    const specs = podSpecs(objs());
    const controller = specs.find((s) => s.kind === "Deployment")?.spec;
    const speaker = specs.find((s) => s.kind === "DaemonSet")?.spec;
    expect(controller?.containers[0]?.securityContext?.capabilities?.add).toBeUndefined();
    expect(controller?.containers[0]?.securityContext?.runAsNonRoot).toBe(true);
    expect(controller?.hostNetwork).toBeUndefined();
    expect(speaker?.hostNetwork).toBe(true);
    const allowed = cluster === "lab-bgp" ? ["NET_BIND_SERVICE", "NET_RAW"] : ["NET_RAW"];
    expect(speaker?.containers[0]?.securityContext?.capabilities?.add?.sort()).toEqual(allowed);
  });

  it("every rendered object is accepted by the API server (server-side apply, dry run)", async () => {
    const verdicts = await Promise.all(objs().map((o) => dryRunApply(objects, o)));
    expect(verdicts.filter(Boolean)).toEqual([]);
  });
});

describe("Pod Security admission", () => {
  const spec = (kind: string) =>
    podSpecs(rendered.get("lab-l2") ?? []).find((s) => s.kind === kind)?.spec;

  it("the controller pod passes the 'restricted' profile", async () => {
    expect(await dryRunPod(PSA.restricted, "dist-controller", spec("Deployment"))).toBeUndefined();
  });

  it("the speaker needs a privileged namespace: baseline refuses host network and NET_RAW", async () => {
    const refusal = await dryRunPod(PSA.baseline, "dist-speaker", spec("DaemonSet"));
    expect(refusal).toMatch(/violates PodSecurity "baseline:latest"/);
    expect(refusal).toMatch(/host namespaces \(hostNetwork=true\)/);
    expect(refusal).toMatch(/must not include "NET_RAW"/);
    expect(await dryRunPod(PSA.privileged, "dist-speaker", spec("DaemonSet"))).toBeUndefined();
  });
});

describe("optional monitoring objects", () => {
  it("render when enabled and match the Prometheus operator's schemas (its CRDs are not installed here)", async () => {
    const good = join(ROOT, "tests/fixtures/overrides/good/monitoring-and-passive-bgp.yaml");
    const objs = await render(nsOf("lab-l2"), [good]);
    const monitoring = objs.filter((o) => o.apiVersion === "monitoring.coreos.com/v1");
    expect(monitoring.map((o) => o.kind).sort()).toEqual(["PrometheusRule", "ServiceMonitor"]);
    for (const o of monitoring) expect(objectProblems(o)).toEqual([]);
    const rules = (
      monitoring.find((o) => o.kind === "PrometheusRule")?.spec as {
        groups: { rules: { alert: string; expr: string }[] }[];
      }
    ).groups[0]?.rules;
    expect(rules?.map((r) => r.alert)).toEqual([
      "MetalLBAddressPoolHighUsage",
      "MetalLBAddressPoolExhausted",
      "MetalLBBGPSessionDown",
      "MetalLBStaleConfig",
    ]);
    expect(rules?.[0]?.expr).toContain(">= 80");
  });

  it("are absent by default", () => {
    expect(
      (rendered.get("lab-l2") ?? []).filter((o) => o.apiVersion.startsWith("monitoring.")),
    ).toEqual([]);
  });
});

describe("loadBalancerClass", () => {
  it("reaches the controller and the speakers alike (or neither)", async () => {
    const values = join(tmpdir(), `lbclass-${process.pid}.yaml`);
    writeFileSync(values, "controller:\n  loadBalancerClass: example.com/lb\n");
    const args = (objs: KubeObject[]) =>
      objs
        .filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet")
        .map((o) => {
          const spec = o.spec as { template: { spec: { containers: { args?: string[] }[] } } };
          return spec.template.spec.containers[0]?.args?.filter((a) => a.startsWith("--lb-class"));
        });
    expect(args(await render(nsOf("lab-l2"), [values]))).toEqual([
      ["--lb-class=example.com/lb"],
      ["--lb-class=example.com/lb"],
    ]);
    expect(args(rendered.get("lab-l2") ?? [])).toEqual([[], []]);
  });
});

describe("FRR mode (speaker.frr.enabled, as lab-bgp's override sets it)", () => {
  it("adds the hardened FRR container, its ConfigMap and the shared socket; the API server accepts it all", async () => {
    const objs = await render(nsOf("lab-bgp"), [overrideOf("lab-bgp")]);
    const ds = podSpecs(objs).find((p) => p.kind === "DaemonSet")?.spec;
    const [speaker, frr] = ds?.containers ?? [];
    expect(frr?.name).toBe("frr");
    expect(speaker?.args).toEqual(
      expect.arrayContaining([
        "--bgp-backend=frr",
        "--frr-agent-socket=/var/run/frr-agent/agent.sock",
        "--frr-reload-debounce=100",
      ]),
    );
    const sc = frr?.securityContext;
    expect(sc?.capabilities?.add?.sort()).toEqual([
      "NET_ADMIN",
      "NET_BIND_SERVICE",
      "NET_RAW",
      "SYS_ADMIN",
    ]);
    expect(sc?.capabilities?.drop).toContain("ALL");
    expect([sc?.readOnlyRootFilesystem, sc?.allowPrivilegeEscalation, sc?.privileged]).toEqual([
      true,
      false,
      false,
    ]);
    const cm = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.endsWith("-frr-agent"));
    const data = (cm as { data?: Record<string, string> } | undefined)?.data ?? {};
    // The very files the lab runs beside FRR (npm run generate copies them into the chart).
    expect(data["agent.py"]).toBe(
      readFileSync(join(ROOT, "src/runtime/frr-agent/agent.py"), "utf8"),
    );
    expect(data["start.sh"]).toBe(
      readFileSync(join(ROOT, "src/runtime/frr-agent/start.sh"), "utf8"),
    );
    const verdicts = await Promise.all(objs.map((o) => dryRunApply(objects, o)));
    expect(verdicts.filter(Boolean)).toEqual([]);
  });
});

describe("a weakened chart is refused by the API server too", () => {
  it("a BGPPeer with a bad address rendered through values is rejected by the CRD's CEL", async () => {
    const [peer] = (rendered.get("lab-bgp") ?? []).filter((o) => o.kind === "BGPPeer");
    expect(peer).toBeDefined();
    const bad = { ...peer!, spec: { ...(peer!.spec as object), peerAddress: "192.0.2.300" } };
    expect(await dryRunApply(objects, bad as KubeObject)).toMatch(
      /must be an IPv4 or IPv6 address/,
    );
  });
});
