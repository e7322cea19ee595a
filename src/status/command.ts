// `metallb-ts status [--kubeconfig FILE] [--namespace NS]`: reads the cluster (pools, LoadBalancer
// Services, the runtime's status objects, and Flux's objects for the release when Flux is
// installed) and prints statusReport's text. Exit 0 when nothing is wrong, 1 when problems are
// listed, 2 when the cluster cannot be read.
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { parseArgs } from "node:util";
import { statusReport, type StatusSnapshot } from "./report.js";

const USAGE = `usage: metallb-ts status [--kubeconfig FILE] [--namespace NAMESPACE] [--lb-class CLASS]
  Pools with usage, LoadBalancer Services with addresses and announcers, held-back addresses,
  invalid configuration and the Flux objects of the release. Exit 1 when it lists problems.
  --kubeconfig  default: $KUBECONFIG, then ~/.kube/config, then in-cluster
  --namespace   where metallb-ts runs and its configuration lives (default metallb-system)
  --lb-class    the controller's --lb-class: only Services of that class (default: no class)
`;

interface Listed<T> {
  items: T[];
}
interface Obj<S, P = unknown> {
  metadata: { name: string; namespace?: string };
  spec?: P;
  status?: S;
}

/** The API server asks to come back (429, e.g. a cache still filling; 503): wait and retry. */
async function patiently<T>(call: () => Promise<T>, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (i >= attempts || (code !== 429 && code !== 503)) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function list<T>(
  custom: CustomObjectsApi,
  group: string,
  version: string,
  plural: string,
  namespace: string,
): Promise<T[] | undefined> {
  try {
    return (
      (await patiently(() =>
        custom.listNamespacedCustomObject({ group, version, namespace, plural }),
      )) as Listed<T>
    ).items;
  } catch (err) {
    // The kind is not installed (e.g. no Flux): that section is left out.
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export async function readSnapshot(
  kc: KubeConfig,
  namespace: string,
  lbClass?: string,
): Promise<StatusSnapshot> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const mb = <T>(plural: string) => list<T>(custom, "metallb.io", "v1beta1", plural, namespace);
  type Pool = Obj<
    StatusSnapshot["pools"][number]["status"],
    { addresses?: string[]; autoAssign?: boolean }
  >;
  const [pools, l2, bgp, config, services, kustomizations, releases, charts] = await Promise.all([
    mb<Pool>("ipaddresspools"),
    mb<Obj<StatusSnapshot["l2"][number]>>("servicel2statuses"),
    mb<Obj<StatusSnapshot["bgp"][number]>>("servicebgpstatuses"),
    mb<Obj<StatusSnapshot["configuration"][number]["status"]>>("configurationstates"),
    patiently(() => core.listServiceForAllNamespaces()),
    list<FluxObj>(custom, "kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "flux-system"),
    list<FluxObj>(custom, "helm.toolkit.fluxcd.io", "v2", "helmreleases", namespace),
    // The chart's source in OCI mode: a registry that refuses the pull shows here first.
    list<FluxObj>(custom, "source.toolkit.fluxcd.io", "v1", "ocirepositories", namespace),
  ]);
  const flux =
    kustomizations || releases || charts
      ? [
          ...(kustomizations ?? [])
            .filter((k) => k.metadata.name.startsWith("metallb-ts"))
            .map((k) => fluxRow("Kustomization", k)),
          ...(charts ?? []).map((c) => fluxRow("OCIRepository", c)),
          ...(releases ?? []).map((r) => fluxRow("HelmRelease", r)),
        ]
      : undefined;
  return {
    namespace,
    pools: (pools ?? []).map((p) => ({
      name: p.metadata.name,
      addresses: p.spec?.addresses ?? [],
      ...(p.spec?.autoAssign !== undefined ? { autoAssign: p.spec.autoAssign } : {}),
      ...(p.status ? { status: p.status } : {}),
    })),
    services: services.items
      // As the controller chooses: its class, or no class when it has none.
      .filter((s) => s.spec?.type === "LoadBalancer" && s.spec.loadBalancerClass === lbClass)
      .map((s) => ({
        namespace: s.metadata?.namespace ?? "",
        name: s.metadata?.name ?? "",
        addresses: (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? ""),
      })),
    l2: (l2 ?? []).flatMap((x) => (x.status ? [x.status] : [])),
    bgp: (bgp ?? []).flatMap((x) => (x.status ? [x.status] : [])),
    configuration: (config ?? []).map((c) => ({
      name: c.metadata.name,
      ...(c.status ? { status: c.status } : {}),
    })),
    ...(flux ? { flux } : {}),
  };
}

type FluxObj = Obj<{
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  lastAppliedRevision?: string;
  history?: { chartVersion?: string }[];
  artifact?: { revision?: string };
}>;

function fluxRow(kind: string, o: FluxObj): NonNullable<StatusSnapshot["flux"]>[number] {
  const ready = o.status?.conditions?.find((c) => c.type === "Ready");
  const revision =
    o.status?.lastAppliedRevision ??
    o.status?.history?.[0]?.chartVersion ??
    o.status?.artifact?.revision;
  return {
    kind,
    namespace: o.metadata.namespace ?? "",
    name: o.metadata.name,
    ...(ready ? { ready } : {}),
    ...(revision ? { revision } : {}),
  };
}

export async function statusCommand(
  args: string[],
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  let values: { kubeconfig?: string; namespace?: string; "lb-class"?: string; help?: boolean };
  try {
    values = parseArgs({
      args,
      options: {
        kubeconfig: { type: "string" },
        namespace: { type: "string" },
        "lb-class": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const kc = new KubeConfig();
  try {
    if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    err(`status: cannot load the kubeconfig: ${(e as Error).message} — give --kubeconfig FILE\n`);
    return 2;
  }
  const namespace = values.namespace ?? "metallb-system";
  let snapshot: StatusSnapshot;
  try {
    snapshot = await readSnapshot(kc, namespace, values["lb-class"]);
  } catch (e) {
    const server = kc.getCurrentCluster()?.server ?? "?";
    err(
      `status: cannot read the cluster at ${server}: ${(e as Error).message} — check the kubeconfig and that you may list Services and metallb.io objects\n`,
    );
    return 2;
  }
  const report = statusReport(snapshot);
  out(report.text);
  return report.problems ? 1 : 0;
}
