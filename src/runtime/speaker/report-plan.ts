// What a speaker reports about a pass (pure): Warning events for configuration problems and for
// addresses held back, `nodeAssigned` when this node starts announcing a Service. Statuses are
// planned in status-plan.ts; the ConfigurationState in kube/configuration-state.ts.
import type { V1Service } from "@kubernetes/client-node";
import { apiVersionOf } from "../../api/kinds/kind.js";
import { KINDS } from "../../api/kinds/index.js";
import { REASON } from "../../api/reasons.js";
import { describeProblem, serviceKey, type Problem } from "../../model/index.js";
import type { ConditionDraft } from "../kube/conditions.js";
import type { EventType, ObjectRef } from "../kube/writer.js";
import type { AddressProblem } from "./cluster-view.js";
import type { BgpSessionFact } from "./drivers.js";
import type { L2AddressOutcome } from "./status-plan.js";

export interface PlannedEvent {
  ref: ObjectRef;
  type: EventType;
  reason: string;
  message: string;
}

export interface ReportInput {
  node: string;
  namespace: string;
  services: readonly V1Service[];
  problems: readonly Problem[];
  /** Addresses not announced, to record as events (one speaker records them). */
  addressProblems?: readonly AddressProblem[];
  l2Outcomes: readonly L2AddressOutcome[];
  l2ByService: ReadonlyMap<string, string[]>;
  bgpByService: ReadonlyMap<string, string[]>;
  /** Services this node announced after the previous pass, by protocol. */
  before: { l2: ReadonlySet<string>; bgp: ReadonlySet<string> };
}

export function configRef(kind: string, name: string, namespace: string): ObjectRef {
  const def = KINDS.find((k) => k.kind === kind);
  return {
    apiVersion: def ? apiVersionOf(def) : "metallb.io/v1beta1",
    kind,
    namespace,
    name,
  };
}

function serviceRefOf(key: string, byKey: ReadonlyMap<string, V1Service>): ObjectRef {
  const [namespace = "", name = ""] = key.split("/");
  const uid = byKey.get(key)?.metadata?.uid;
  return { apiVersion: "v1", kind: "Service", namespace, name, ...(uid ? { uid } : {}) };
}

export function reportEvents(i: ReportInput): PlannedEvent[] {
  const byKey = new Map(i.services.map((s) => [serviceKey(s), s]));
  const out: PlannedEvent[] = i.problems.map((p) => ({
    ref: configRef(p.kind, p.name, i.namespace),
    type: "Warning",
    reason: REASON.invalidConfiguration,
    message: describeProblem(p),
  }));
  for (const p of i.addressProblems ?? [])
    out.push({
      ref: serviceRefOf(p.service, byKey),
      type: "Warning",
      reason: p.reason,
      message: p.message,
    });
  // A first foreign answer is only a suspicion until the re-probe: no event yet.
  for (const o of i.l2Outcomes)
    for (const p of o.problems)
      if (p.reason !== REASON.probing)
        for (const service of o.services)
          out.push({
            ref: serviceRefOf(service, byKey),
            type: "Warning",
            reason: p.reason,
            message: `node ${i.node}: ${p.message}`,
          });
  for (const [protocol, now, before] of [
    ["layer2", i.l2ByService, i.before.l2],
    ["bgp", i.bgpByService, i.before.bgp],
  ] as const)
    for (const key of now.keys()) {
      if (before.has(key) || !byKey.has(key)) continue;
      out.push({
        ref: serviceRefOf(key, byKey),
        type: "Normal",
        reason: REASON.nodeAssigned,
        message: `announcing from node "${i.node}" with protocol "${protocol}"`,
      });
    }
  return out;
}

/** How many held-back addresses a condition message names before it says "and N more". */
const LISTED = 5;

/**
 * BGPSessions: True when every session of this node is Established; the message names each peer
 * (and, for one that is not, why it last failed). None on a node without BGP peers. The state
 * between attempts (Connect, Active, Idle) is left out, so a peer that stays down does not
 * rewrite the object on every retry.
 */
export function bgpSessionsCondition(
  sessions: readonly BgpSessionFact[],
): ConditionDraft | undefined {
  if (!sessions.length) return undefined;
  const sorted = [...sessions].sort((a, b) => a.peer.localeCompare(b.peer));
  const down = sorted.filter((s) => !s.established);
  const describe = (s: BgpSessionFact) =>
    s.established
      ? `${s.peer} (${s.address}) Established`
      : `${s.peer} (${s.address}) not Established${s.lastError ? `: ${s.lastError}` : ""}`;
  return {
    type: "BGPSessions",
    status: down.length ? "False" : "True",
    reason: down.length ? REASON.sessionsNotEstablished : REASON.sessionsEstablished,
    message: [...down, ...sorted.filter((s) => s.established)].map(describe).join("; "),
  };
}

/**
 * The conditions a speaker's ConfigurationState carries besides Valid: HeartbeatPeers (when
 * heartbeats run), BGPSessions (when the node has BGP peers) and AddressesAnnounceable. Every speaker writes the same verdicts; one of them
 * records the events.
 */
export function speakerConditions(i: {
  heartbeats: boolean;
  heartbeatProblems: readonly string[];
  addressProblems: readonly AddressProblem[];
  bgpSessions?: readonly BgpSessionFact[];
  /** The BGP implementation's own conditions (FRR mode: whether FRR took the configuration). */
  backend?: readonly ConditionDraft[];
}): ConditionDraft[] {
  const out: ConditionDraft[] = [];
  if (i.heartbeats)
    out.push(
      i.heartbeatProblems.length
        ? {
            type: "HeartbeatPeers",
            status: "False",
            reason: REASON.invalidHeartbeatAddress,
            message: i.heartbeatProblems.join("; "),
          }
        : {
            type: "HeartbeatPeers",
            status: "True",
            reason: REASON.heartbeatPeersKnown,
            message: "every speaker's Lease names the address its heartbeats come from",
          },
    );
  const held = i.addressProblems;
  if (!held.length)
    out.push({
      type: "AddressesAnnounceable",
      status: "True",
      reason: REASON.addressesInPools,
      message: "every assigned address lies in the pool its Service's annotation names",
    });
  else {
    const listed = held.slice(0, LISTED).map((p) => `${p.service} ${p.ip}: ${p.message}`);
    if (held.length > LISTED) listed.push(`and ${held.length - LISTED} more`);
    out.push({
      type: "AddressesAnnounceable",
      status: "False",
      // The first problem's reason; the message lists every kind.
      reason: held[0]!.reason,
      message: listed.join("; "),
    });
  }
  const sessions = bgpSessionsCondition(i.bgpSessions ?? []);
  if (sessions) out.push(sessions);
  out.push(...(i.backend ?? []));
  return out;
}
