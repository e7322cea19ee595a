// Leader election on a coordination.k8s.io Lease, as a pure decision: given the Lease as read
// and the clock, what should this candidate write, if anything?

export interface LeaseState {
  holder?: string;
  /** ms since epoch of the holder's last renewal. */
  renewTime?: number;
  acquireTime?: number;
  durationSeconds?: number;
  transitions?: number;
}

export type LeaseDecision =
  | { action: "renew"; lease: LeaseState }
  | { action: "acquire"; lease: LeaseState }
  | { action: "wait"; holder: string; expiresAt: number };

/**
 * A candidate renews its own Lease, takes one that is free or expired (the holder missed its
 * renewal for longer than the lease duration), and otherwise waits for it to expire.
 */
export function decideLease(
  lease: LeaseState | undefined,
  me: string,
  now: number,
  durationSeconds: number,
): LeaseDecision {
  const holder = lease?.holder ?? "";
  if (holder === me) {
    return { action: "renew", lease: { ...lease, holder: me, renewTime: now, durationSeconds } };
  }
  const expiresAt = (lease?.renewTime ?? 0) + (lease?.durationSeconds ?? durationSeconds) * 1000;
  if (holder && now < expiresAt) return { action: "wait", holder, expiresAt };
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
