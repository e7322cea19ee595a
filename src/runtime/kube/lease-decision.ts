// Leader election on a coordination.k8s.io Lease, as a pure decision: given the Lease as read
// and the clocks, what should this candidate write, if anything?
//
// Expiry is judged as client-go judges it: by when THIS candidate last saw the Lease's record
// change, on its own monotonic clock — never by comparing the renewTime another machine wrote
// with this machine's clock. A holder whose clock runs an hour ahead is not immortal, and one
// whose clock runs behind is not deposed while it renews. The times written are for people.

export interface LeaseState {
  holder?: string;
  /** ms since epoch of the holder's last renewal (the holder's wall clock). */
  renewTime?: number;
  acquireTime?: number;
  durationSeconds?: number;
  transitions?: number;
}

export type LeaseDecision =
  | { action: "renew"; lease: LeaseState }
  | { action: "acquire"; lease: LeaseState }
  | { action: "wait"; holder: string; expiresAt: number };

export interface LeaseClocks {
  /** Wall clock (ms since epoch): only written into the Lease. */
  wall: number;
  /** Monotonic clock (ms). */
  mono: number;
  /** When, on the monotonic clock, this candidate saw the Lease's record last change. */
  observedAt: number;
}

/**
 * A candidate renews its own Lease, takes one that is free or expired (its record has not changed
 * for the lease duration, as this candidate observed it), and otherwise waits; `expiresAt` is on
 * the monotonic clock.
 */
export function decideLease(
  lease: LeaseState | undefined,
  me: string,
  clocks: LeaseClocks,
  durationSeconds: number,
): LeaseDecision {
  const holder = lease?.holder ?? "";
  const now = clocks.wall;
  if (holder === me) {
    return { action: "renew", lease: { ...lease, holder: me, renewTime: now, durationSeconds } };
  }
  const expiresAt = clocks.observedAt + (lease?.durationSeconds ?? durationSeconds) * 1000;
  if (holder && clocks.mono < expiresAt) return { action: "wait", holder, expiresAt };
  return {
    action: "acquire",
    lease: {
      holder: me,
      acquireTime: now,
      renewTime: now,
      durationSeconds,
      transitions: (lease?.transitions ?? 0) + (holder ? 1 : 0),
    },
  };
}

/** What must change for a Lease to count as renewed: its record, compared as written. */
export function leaseRecord(lease: LeaseState | undefined): string {
  return JSON.stringify([
    lease?.holder ?? "",
    lease?.renewTime ?? 0,
    lease?.acquireTime ?? 0,
    lease?.transitions ?? 0,
  ]);
}
