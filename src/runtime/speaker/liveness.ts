// Who is alive, as this speaker judges it (pure; the clock comes in as arguments).
//
// A peer's Lease counts as renewed when THIS speaker sees it change, timed on its own monotonic
// clock (as client-go's leader election does): another node's clock, ahead or behind, never
// decides. While the Lease watch is down or this speaker cannot renew its own Lease (the API
// server is unreachable), Lease verdicts are frozen as they were: an outage must not make every
// speaker see only itself and claim every address. When the API server returns, every Lease gets
// a full duration to be seen renewed again. Authenticated heartbeats override the Leases both
// ways: a peer heard alive is live, a peer heard dead or leaving is not.
import type { LeaseFacts } from "./node-lease.js";

export type HeartbeatVerdict = "alive" | "dead" | "left" | undefined;

interface Seen {
  /** The renewTime as written (compared as text: only change matters, not its value). */
  renew: string;
  uid?: string;
  /** When this speaker saw it change (monotonic ms). */
  at: number;
  durationMs: number;
}

export class LeaseLiveness {
  private readonly seen = new Map<string, Seen>();
  private frozenAt: number | undefined;

  /**
   * Records the Leases the store holds now. Returns the nodes whose Lease was recreated (another
   * uid: the speaker restarted), so their heartbeat state can start afresh.
   */
  observe(leases: readonly LeaseFacts[], now: number): string[] {
    const recreated: string[] = [];
    const present = new Set<string>();
    for (const l of leases) {
      present.add(l.node);
      const before = this.seen.get(l.node);
      if (before?.uid !== undefined && l.uid !== undefined && before.uid !== l.uid)
        recreated.push(l.node);
      const changed = !before || before.renew !== l.renew || before.uid !== l.uid;
      this.seen.set(l.node, {
        renew: l.renew,
        ...(l.uid !== undefined ? { uid: l.uid } : {}),
        at: changed ? now : before.at,
        durationMs: l.durationSeconds * 1000,
      });
    }
    // A deleted Lease is a speaker that said goodbye. While frozen the store is stale: keep all.
    if (this.frozenAt === undefined)
      for (const node of this.seen.keys()) if (!present.has(node)) this.seen.delete(node);
    return recreated;
  }

  /** Freezes (the Lease watch or this speaker's renewals failing) or thaws the verdicts. */
  setFrozen(frozen: boolean, now: number): void {
    if (frozen) {
      this.frozenAt ??= now;
      return;
    }
    if (this.frozenAt === undefined) return;
    this.frozenAt = undefined;
    // Nobody could renew while the API server was away: every Lease starts a fresh duration.
    for (const s of this.seen.values()) s.at = now;
  }

  get frozen(): boolean {
    return this.frozenAt !== undefined;
  }

  /** Nodes whose Lease was seen renewed within its duration (as of the freeze, when frozen). */
  live(now: number): Set<string> {
    const at = this.frozenAt ?? now;
    return new Set([...this.seen].filter(([, s]) => at - s.at < s.durationMs).map(([n]) => n));
  }
}

/**
 * The live set: this node, every peer heard alive, and every peer never heard whose Lease is
 * live; a peer heard dead or leaving is not live whatever its Lease says.
 */
export function liveNodes(
  self: string,
  byLease: ReadonlySet<string>,
  heartbeat: ((node: string) => HeartbeatVerdict) | undefined,
  heardAlive: readonly string[] = [],
): Set<string> {
  const out = new Set<string>([self]);
  for (const n of new Set([...byLease, ...heardAlive])) {
    if (n === self) continue;
    const hb = heartbeat?.(n);
    if (hb === "alive" || (hb === undefined && byLease.has(n))) out.add(n);
  }
  return out;
}
