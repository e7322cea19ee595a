// Which ServiceL2Status / ServiceBGPStatus objects this node should have (pure). One object per
// (Service, node), named deterministically so that a restarted speaker finds its own objects.
import { createHash } from "node:crypto";

export const STATUS_LABELS = {
  node: "metallb.io/node",
  serviceName: "metallb.io/service-name",
  serviceNamespace: "metallb.io/service-namespace",
} as const;

export interface StatusObject {
  name: string;
  labels: Record<string, string>;
  status: Record<string, unknown>;
}

export interface StatusPlan {
  /** Objects to create or whose status to replace. */
  put: StatusObject[];
  /** Names of objects to delete. */
  remove: string[];
}

export const statusName = (prefix: "l2" | "bgp", serviceKey: string, node: string): string =>
  `${prefix}-${createHash("sha256").update(`${serviceKey}\u0000${node}`).digest("hex").slice(0, 16)}`;

function statusObject(
  prefix: "l2" | "bgp",
  serviceKey: string,
  node: string,
  extra: Record<string, unknown>,
): StatusObject {
  const [namespace = "", name = ""] = serviceKey.split("/");
  return {
    name: statusName(prefix, serviceKey, node),
    labels: {
      [STATUS_LABELS.node]: node,
      [STATUS_LABELS.serviceName]: name,
      [STATUS_LABELS.serviceNamespace]: namespace,
    },
    status: { node, serviceName: name, serviceNamespace: namespace, ...extra },
  };
}

/** Services this node announces in L2 → their statuses (interfaces: [] means all suitable). */
export function l2Statuses(node: string, owned: Map<string, string[]>): StatusObject[] {
  return [...owned]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, interfaces]) =>
      statusObject("l2", key, node, { interfaces: interfaces.map((name) => ({ name })) }),
    );
}

/** Services this node announces over BGP → their statuses, with the peers. */
export function bgpStatuses(node: string, peersByService: Map<string, string[]>): StatusObject[] {
  return [...peersByService]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, peers]) => statusObject("bgp", key, node, { peers: [...peers].sort() }));
}

/** JSON with object keys sorted: the API server returns custom objects' keys sorted. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : 1)))
      : val,
  );

/** The writes that turn `existing` (this node's objects, name → status) into `wanted`. */
export function planStatuses(
  wanted: StatusObject[],
  existing: Map<string, Record<string, unknown> | undefined>,
): StatusPlan {
  const names = new Set(wanted.map((w) => w.name));
  return {
    put: wanted.filter((w) => canonical(existing.get(w.name)) !== canonical(w.status)),
    remove: [...existing.keys()].filter((n) => !names.has(n)).sort(),
  };
}
