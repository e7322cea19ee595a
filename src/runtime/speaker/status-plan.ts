// Which ServiceL2Status / ServiceBGPStatus objects this node should have (pure). One object per
// (Service, node), named deterministically so that a restarted speaker finds its own objects.
import { createHash } from "node:crypto";
import { REASON, type L2ProblemReason } from "../../api/reasons.js";
import { stampConditions, type Condition, type ConditionDraft } from "../kube/conditions.js";

export type { L2ProblemReason };

/** The condition a ServiceL2Status carries (its reasons are in api/reasons.ts). */
export const ANNOUNCED_CONDITION = "Announced";

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

export interface L2Problem {
  reason: L2ProblemReason;
  /** Names the address, the interface and (for a conflict) the foreign MAC, and the fix. */
  message: string;
}

/** What the L2 driver did with one address this node owns. */
export interface L2AddressOutcome {
  ip: string;
  services: string[];
  /** Interfaces it is answered on; empty: not announced. */
  interfaces: string[];
  problems: L2Problem[];
}

/**
 * The `Announced` condition of one Service from the outcomes of its addresses: False while any
 * of them is not answered (reason: the first problem of such an address), True otherwise — its
 * reason then still names a problem that leaves some interfaces out.
 */
export function announcedCondition(outcomes: readonly L2AddressOutcome[]): ConditionDraft {
  const silent = outcomes.filter((o) => !o.interfaces.length);
  const problems = outcomes.flatMap((o) => o.problems);
  const message = problems.map((p) => p.message).join("; ");
  if (silent.length) {
    const first = silent.flatMap((o) => o.problems)[0];
    return {
      type: ANNOUNCED_CONDITION,
      status: "False",
      reason: first?.reason ?? REASON.noUsableInterface,
      message: message || `${silent.map((o) => o.ip).join(", ")} not announced`,
    };
  }
  const first = problems[0];
  return {
    type: ANNOUNCED_CONDITION,
    status: "True",
    reason: first?.reason ?? REASON.announced,
    message:
      message || outcomes.map((o) => `${o.ip} answered on ${o.interfaces.join(", ")}`).join("; "),
  };
}

/**
 * Services this node owns in L2 → their statuses: the interfaces their addresses are answered
 * on and the `Announced` condition. An owned Service whose addresses are held back (a conflict,
 * no interface) keeps its status, so the condition says why.
 */
export function l2Statuses(node: string, outcomes: readonly L2AddressOutcome[]): StatusObject[] {
  const byService = new Map<string, L2AddressOutcome[]>();
  for (const o of outcomes)
    for (const s of o.services) byService.set(s, [...(byService.get(s) ?? []), o]);
  return [...byService]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, own]) => {
      const interfaces = [...new Set(own.flatMap((o) => o.interfaces))].sort();
      return statusObject("l2", key, node, {
        interfaces: interfaces.map((name) => ({ name })),
        conditions: [announcedCondition(own)],
      });
    });
}

/**
 * Gives each status's conditions their lastTransitionTime from the stored status (so an unchanged
 * status is not rewritten on every pass).
 */
export function stampStatusConditions(
  wanted: readonly StatusObject[],
  existing: ReadonlyMap<string, Record<string, unknown> | undefined>,
  now: string,
): StatusObject[] {
  return wanted.map((w) => {
    const drafts = w.status.conditions as ConditionDraft[] | undefined;
    if (!drafts) return w;
    const before = existing.get(w.name)?.conditions as Partial<Condition>[] | undefined;
    return { ...w, status: { ...w.status, conditions: stampConditions(drafts, before, now) } };
  });
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
