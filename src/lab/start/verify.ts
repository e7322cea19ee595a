// Creates the demo's Services and waits for what a user would check by hand: every Service
// has its addresses, the L2 owner answers the client's ARP/NDP with its own MAC, and the router's
// BGP table holds the routed Service's prefixes from every node.
import {
  ADDRESS_REQUESTS_ALLOWED,
  ADDRESS_REQUESTS_LABEL,
} from "../../api/policies/address-policies.js";
import {
  CustomObjectsApi,
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
} from "@kubernetes/client-node";
import { describeApiError } from "../kube/crds.js";
import { client } from "../net/index.js";
import { run, waitFor } from "../../sys/proc.js";
import { overridePath } from "../../gitops/synth/tree.js";
import { L2_POOL, serviceObjects, type DemoService, DEMO_SERVICES } from "./demo-config.js";
import { CLIENT, DEMO_NS, LAB_CLUSTER, NODES, RUNTIME_NS } from "./layout.js";
import type { LabStack } from "./stack.js";

export interface ServiceOutcome {
  service: DemoService;
  ips: string[];
  /** L2: the node answering ARP/NDP, by address. */
  owners?: Record<string, string>;
  /** BGP: the nodes the router learnt the Service's prefixes from. */
  bgpNodes?: string[];
}

export async function applyDemo(admin: KubeConfig): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(admin);
  // The demo's Services name their pools: the address policies (policies/) let only namespaces
  // labelled so ask for one.
  await admin.makeApiClient(CoreV1Api).createNamespace({
    body: {
      metadata: {
        name: DEMO_NS,
        labels: { [ADDRESS_REQUESTS_LABEL]: ADDRESS_REQUESTS_ALLOWED },
      },
    },
  });
  for (const obj of serviceObjects()) {
    await api.create(obj).catch((err: unknown) => {
      const what = `${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`;
      throw new Error(`the API server refused the demo's ${what}: ${describeApiError(err)}`);
    });
  }
}

const nodeByAddress = new Map(
  NODES.flatMap((n) => [[n.ipv4, n.name] as const, [n.ipv6, n.name] as const]),
);

async function waitIps(core: CoreV1Api, s: DemoService): Promise<string[]> {
  return waitFor(
    `${DEMO_NS}/${s.name} to get ${s.families.length} address(es) from pool "${s.pool}"`,
    async () => {
      const svc = await core.readNamespacedService({ name: s.name, namespace: DEMO_NS });
      const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "");
      return ips.length === s.families.length ? ips : undefined;
    },
    90_000,
  );
}

/** The nodes whose ServiceL2Status says they announce the Service (one per address at most). */
async function l2StatusNodes(custom: CustomObjectsApi, s: DemoService): Promise<Set<string>> {
  const list = (await custom.listNamespacedCustomObject({
    group: "metallb.io",
    version: "v1beta1",
    namespace: RUNTIME_NS,
    plural: "servicel2statuses",
    labelSelector: `metallb.io/service-name=${s.name},metallb.io/service-namespace=${DEMO_NS}`,
  })) as { items: { status?: { node?: string } }[] };
  return new Set(list.items.flatMap((i) => (i.status?.node ? [i.status.node] : [])));
}

/**
 * Owners are elected per address, so a dual-stack Service may have two. An address is settled
 * when the client's own ARP/NDP query is answered with the MAC of a node that also reports the
 * Service in a ServiceL2Status.
 */
async function waitL2Owner(
  stack: LabStack,
  custom: CustomObjectsApi,
  s: DemoService,
  ip: string,
): Promise<string> {
  const resolve = ip.includes(":") ? client.ndpResolve : client.arpResolve;
  const nodeByMac = new Map(Object.entries(stack.macs).map(([node, mac]) => [mac, node]));
  let last = "no answer";
  const owner = await waitFor(
    `the client's ${ip.includes(":") ? "NDP" : "ARP"} query for ${ip} (${DEMO_NS}/${s.name}) to be answered by a node reporting it in a ServiceL2Status`,
    async () => {
      const mac = await resolve(stack.lab, CLIENT.host, "eth0", ip);
      const node = mac ? nodeByMac.get(mac) : undefined;
      const reported = await l2StatusNodes(custom, s);
      last = `answer ${mac ?? "none"}${node ? ` (${node})` : ""}, ServiceL2Status nodes: ${[...reported].join(", ") || "none"}`;
      return node && reported.has(node) ? node : undefined;
    },
    90_000,
    250,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${last}`);
  });
  // The client's kernel resolves it too (a ping fills its neighbour table; nothing replies),
  // so `ip neigh` in the client shows what the summary says.
  await stack.lab
    .exec(CLIENT.host, ["ping", ip.includes(":") ? "-6" : "-4", "-c1", "-W1", ip])
    .catch(() => "");
  const kernel = await client.neighbourMac(stack.lab, CLIENT.host, ip);
  if (kernel !== stack.macs[owner])
    throw new Error(
      `the client's kernel resolved ${ip} to ${kernel ?? "nothing"}, not to ${owner} (${stack.macs[owner]})`,
    );
  return owner;
}

async function waitRoutes(stack: LabStack, ip: string): Promise<string[]> {
  const prefix = ip.includes(":") ? `${ip}/128` : `${ip}/32`;
  let seen: string[] = [];
  await waitFor(
    `the router's BGP table to hold ${prefix} from all ${NODES.length} nodes`,
    async () => {
      const paths = await stack.router.rib(ip.includes(":") ? 6 : 4);
      seen = paths.filter((p) => p.prefix === prefix).map((p) => p.nextHop);
      return seen.length === NODES.length ? true : undefined;
    },
    90_000,
    500,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; next hops seen: ${seen.join(", ") || "none"}`);
  });
  return seen.map((hop) => nodeByAddress.get(hop) ?? hop);
}

export async function verifyDemo(stack: LabStack): Promise<ServiceOutcome[]> {
  const core = stack.admin.makeApiClient(CoreV1Api);
  const custom = stack.admin.makeApiClient(CustomObjectsApi);
  const outcomes: ServiceOutcome[] = [];
  for (const service of DEMO_SERVICES) {
    const ips = await waitIps(core, service);
    if (service.announcement === "l2") {
      const owners: Record<string, string> = {};
      for (const ip of ips) owners[ip] = await waitL2Owner(stack, custom, service, ip);
      outcomes.push({ service, ips, owners });
    } else {
      const nodes = new Set<string>();
      for (const ip of ips) for (const n of await waitRoutes(stack, ip)) nodes.add(n);
      outcomes.push({ service, ips, bgpNodes: [...nodes].sort() });
    }
  }
  return outcomes;
}

/** Edits the lab cluster's override in the working copy, commits and pushes it. */
async function pushOverride(stack: LabStack, message: string, edit: (text: string) => string) {
  const file = overridePath(LAB_CLUSTER);
  const before = stack.gitops.repo.read(file);
  const after = edit(before);
  if (after === before)
    throw new Error(`${file} is not as the lab's check expects; update verify.ts`);
  stack.gitops.repo.write(file, after);
  const pushed = Date.now();
  await stack.gitops.repo.push(message);
  return pushed;
}

const since = (t: number) => Math.round((Date.now() - t) / 100) / 10;

/**
 * A values change that alters the controller's rendered args: Flux upgrades the release, the
 * Deployment rolls, and the lab's pod runner replaces each controller process with one started
 * from the new Pod. Returns the seconds from the push until every controller runs the new args.
 */
export async function verifyRollout(stack: LabStack): Promise<number> {
  const replicas = stack.controllers.running.size;
  const pushed = await pushOverride(stack, "controller: debug logs", (t) =>
    t.replace("\nconfig:\n", "\ncontroller:\n  logLevel: debug\nconfig:\n"),
  );
  await waitFor(
    `${replicas} controller processes started with --log-level=debug`,
    () => {
      const now = [...stack.controllers.running.values()];
      return Promise.resolve(
        (now.length === replicas &&
          now.every((r) => r.argv.includes("--log-level=debug") && !r.exited)) ||
          undefined,
      );
    },
    180_000,
    250,
  );
  return since(pushed);
}

/**
 * The GitOps loop as a user drives it: an address range added to the L2 pool in the working
 * copy's override, committed and pushed; returns the seconds until the API server holds it.
 */
export async function verifyPush(stack: LabStack): Promise<{ seconds: number; added: string }> {
  const added = "192.0.2.220-192.0.2.229";
  const file = overridePath(LAB_CLUSTER);
  const before = stack.gitops.repo.read(file);
  const anchor = "          - 2001:db8::c8-2001:db8::db\n";
  if (!before.includes(anchor))
    throw new Error(
      `${file} no longer lists ${anchor.trim()} in pool "${L2_POOL}"; update verifyPush`,
    );
  stack.gitops.repo.write(file, before.replace(anchor, `${anchor}          - ${added}\n`));
  const custom = stack.admin.makeApiClient(CustomObjectsApi);
  const pushed = Date.now();
  await stack.gitops.repo.push(`pool ${L2_POOL}: add ${added}`);
  await waitFor(
    `pool ${L2_POOL} to hold ${added} after the push`,
    async () => {
      const pool = (await custom.getNamespacedCustomObject({
        group: "metallb.io",
        version: "v1beta1",
        namespace: RUNTIME_NS,
        plural: "ipaddresspools",
        name: L2_POOL,
      })) as { spec?: { addresses?: string[] } };
      return pool.spec?.addresses?.includes(added) || undefined;
    },
    120_000,
    250,
  );
  return { seconds: since(pushed), added };
}

/**
 * `metallb-ts status` as a user runs it against the lab: waits until it exits 0 (no problem
 * listed) and every node reports its BGP sessions Established; returns those nodes.
 */
export async function verifyStatus(stack: LabStack, bin: string): Promise<string[]> {
  let last = "";
  return waitFor(
    "`metallb-ts status` to exit 0 with every node's BGP sessions Established",
    async () => {
      last = await run([
        process.execPath,
        bin,
        "status",
        "--kubeconfig",
        stack.env.kubeconfigs.admin,
      ]).catch((err: Error) => err.message);
      const up = NODES.filter((n) => new RegExp(`^\\s+${n.name}\\s+yes\\s`, "m").test(last));
      return up.length === NODES.length && /Problems: none/.test(last)
        ? up.map((n) => n.name)
        : undefined;
    },
    60_000,
    1000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last output:\n${last}`);
  });
}
