// What the controller writes for one Service (pure): the ingress, the pool annotation and the
// events, in the order they are written, from the Service as stored and the allocator's verdict.
import type { V1Service } from "@kubernetes/client-node";
import { formatIp } from "../../api/formats/ip.js";
import { REASON } from "../../api/reasons.js";
import { ADDRESSES_CONDITION, ANNOTATION } from "../../api/service.js";
import type { EventType } from "../kube/writer.js";
import type { Refusal, Result } from "./allocator/allocator.js";
import type { ServiceVerdict } from "./service-request.js";

export type ServiceWrite =
  | { kind: "ingress"; ips: string[] }
  /** The ADDRESSES_CONDITION of a Gateway's Service. */
  | { kind: "condition"; status: "True" | "False"; reason: string; message: string }
  /** The ip-allocated-from-pool annotation; null removes it. */
  | { kind: "poolAnnotation"; pool: string | null }
  | {
      kind: "event";
      type: EventType;
      reason: string;
      message: string;
      /** For AllocationFailed: the failure's reason, counted when the event is new. */
      failure?: string;
    };

export const statusIps = (svc: V1Service): string[] =>
  (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "").filter(Boolean);

/** What the controller knows besides the Service and the allocator's result. */
export interface WriteContext {
  /**
   * Why the addresses the Service shows are no longer valid (undefined: they are, or it shows
   * none). A refusal the Service caused itself (another request, pool or family) moves it
   * silently; any other is announced with a Normal ClearAssignment, as upstream does.
   */
  cleared?: Refusal;
  /** Whether a recorded address no pool allows may be taken away (see Controller.mayClear). */
  mayClear: boolean;
  /** No usable IPAddressPool exists: Services wait without an event each (upstream is silent). */
  noPools: boolean;
}

const clearAssignment = (key: string, why: Refusal): ServiceWrite => ({
  kind: "event",
  type: "Normal",
  reason: REASON.clearAssignment,
  message: `current IP for "${key}" not allowed by config, will attempt for new IP assignment: ${why.message}`,
});

/**
 * For a Service asking through its Gateway's spec.addresses: the condition saying whether they
 * are served, when the Service does not show it already.
 */
function gatewayCondition(
  svc: V1Service,
  verdict: Exclude<ServiceVerdict, { kind: "ignore" }>,
  result: Result | undefined,
): ServiceWrite[] {
  if (verdict.kind !== "request" || !verdict.request.requestedBy || !result) return [];
  const want: Extract<ServiceWrite, { kind: "condition" }> = result.ok
    ? {
        kind: "condition",
        status: "True",
        reason: "Assigned",
        message: `${result.assignment.ips.map(formatIp).join(",")} from pool ${result.assignment.pool}, requested by ${verdict.request.requestedBy}`,
      }
    : { kind: "condition", status: "False", reason: result.reason, message: result.message };
  const shown = svc.status?.conditions?.find((c) => c.type === ADDRESSES_CONDITION);
  return shown?.status === want.status &&
    shown.reason === want.reason &&
    shown.message === want.message
    ? []
    : [want];
}

/** The writes that bring the Service in line with the allocator's result, in upstream's order. */
export function serviceWrites(
  svc: V1Service,
  key: string,
  verdict: Exclude<ServiceVerdict, { kind: "ignore" }>,
  result: Result | undefined,
  ctx: WriteContext,
): ServiceWrite[] {
  const writes: ServiceWrite[] = verdict.warnings.map((message) => ({
    kind: "event",
    type: "Warning",
    reason: REASON.deprecatedAnnotation,
    message,
  }));
  const shown = statusIps(svc);
  const announceClear = ctx.cleared && !ctx.cleared.changedRequest ? ctx.cleared : undefined;
  if (result?.ok) {
    const ips = result.assignment.ips.map(formatIp);
    if (ips.join(",") !== shown.join(",")) {
      if (announceClear && shown.length) writes.push(clearAssignment(key, announceClear));
      writes.push({ kind: "ingress", ips });
      writes.push({
        kind: "event",
        type: "Normal",
        reason: REASON.ipAllocated,
        message: `Assigned IP ${JSON.stringify(ips)}`,
      });
    }
    if (svc.metadata?.annotations?.[ANNOTATION.allocatedFromPool] !== result.assignment.pool)
      writes.push({ kind: "poolAnnotation", pool: result.assignment.pool });
    writes.push(...gatewayCondition(svc, verdict, result));
    return writes;
  }
  if (verdict.kind === "invalid" && shown.length) {
    // Upstream keeps what the Service holds while its request cannot be read.
    writes.push({
      kind: "event",
      type: "Warning",
      reason: REASON.loadBalancerFailed,
      message: `invalid requested loadbalancer IPs: ${verdict.message}`,
    });
    return writes;
  }
  const clear: ServiceWrite[] =
    shown.length && ctx.mayClear
      ? [
          ...(announceClear && !ctx.noPools ? [clearAssignment(key, announceClear)] : []),
          { kind: "ingress", ips: [] },
          { kind: "poolAnnotation", pool: null },
        ]
      : [];
  writes.push(...clear);
  if (ctx.noPools) return writes;
  const why =
    verdict.kind === "invalid" ? verdict.message : result && !result.ok ? result.message : "";
  const failure =
    verdict.kind === "invalid" ? "InvalidRequest" : result && !result.ok ? result.reason : "";
  writes.push({
    kind: "event",
    type: "Warning",
    reason: REASON.allocationFailed,
    message: `Failed to allocate IP for "${key}": ${why}`,
    failure,
  });
  writes.push(...gatewayCondition(svc, verdict, result));
  return writes;
}
