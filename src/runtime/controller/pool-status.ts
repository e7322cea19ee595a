// What the controller writes into each IPAddressPool's status (pure): usage counts and a Valid
// condition naming every problem of the pool.
import type { IPAddressPoolStatus } from "../../api/kinds/ipaddresspool.js";
import { REASON } from "../../api/reasons.js";
import { stampConditions } from "../kube/conditions.js";
import type { PoolUsage } from "./allocator/allocator.js";

/** JSON carries integers exactly only up to 2^53-1. */
const capped = (n: bigint): number =>
  Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : n);

export function poolStatus(
  usage: PoolUsage | undefined,
  problems: readonly string[],
  previous: IPAddressPoolStatus | undefined,
  now: string,
): IPAddressPoolStatus {
  const valid = problems.length === 0;
  return {
    ...(usage
      ? {
          assignedIPv4: usage.assignedIPv4,
          assignedIPv6: usage.assignedIPv6,
          availableIPv4: capped(usage.availableIPv4),
          availableIPv6: capped(usage.availableIPv6),
        }
      : {}),
    conditions: stampConditions(
      [
        {
          type: "Valid",
          status: valid ? "True" : "False",
          reason: valid ? REASON.valid : REASON.invalidConfiguration,
          message: valid ? "no conflict with other pools" : problems.join("; "),
        },
      ],
      previous?.conditions,
      now,
    ),
  };
}
