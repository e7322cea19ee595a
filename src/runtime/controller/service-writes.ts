// What the controller writes for one Service (pure): the ingress, the pool annotation and the
// events, in the order they are written, from the Service as stored and the allocator's verdict.
import type { V1Service } from "@kubernetes/client-node";
import { formatIp } from "../../api/formats/ip.js";
import { REASON } from "../../api/reasons.js";
import { ANNOTATION } from "../../api/service.js";
import type { EventType } from "../kube/writer.js";
import type { Result } from "./allocator/allocator.js";
import type { ServiceVerdict } from "./service-request.js";

export type ServiceWrite =
  | { kind: "ingress"; ips: string[] }
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

/**
 * The writes that bring the Service in line with the allocator's result. `mayClear`: whether a
 * recorded address no pool allows may be taken away (see Controller.mayClear).
 */
export function serviceWrites(
  svc: V1Service,
  key: string,
  verdict: Exclude<ServiceVerdict, { kind: "ignore" }>,
  result: Result | undefined,
  mayClear: boolean,
): ServiceWrite[] {
  const writes: ServiceWrite[] = verdict.warnings.map((message) => ({
    kind: "event",
    type: "Warning",
    reason: REASON.deprecatedAnnotation,
    message,
  }));
  if (result?.ok) {
    const ips = result.assignment.ips.map(formatIp);
    if (ips.join(",") !== statusIps(svc).join(",")) {
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
    return writes;
  }
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
  if (statusIps(svc).length && mayClear)
    writes.push(
      { kind: "ingress", ips: [] },
      { kind: "poolAnnotation", pool: null },
      {
        kind: "event",
        type: "Warning",
        reason: REASON.clearAssignment,
        message: `Cleared the previous assignment: ${why}`,
      },
    );
  return writes;
}
