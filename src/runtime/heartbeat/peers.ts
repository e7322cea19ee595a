// The pure membership state of the heartbeat layer: replay protection and failure detection.
// Time comes in as arguments: `wallMs` (to bound replays by the sender's clock) and `monoMs`
// (a monotonic clock for silence deadlines).
import type { Heartbeat } from "./codec.js";

export type PeerState = "alive" | "dead" | "left";

export interface PeerEvent {
  node: string;
  state: PeerState;
}

export interface PeerTableOptions {
  intervalMs: number;
  /** A peer is dead after this many intervals without an accepted heartbeat. */
  missed: number;
  /** Heartbeats whose send time is further than this from ours are refused (replay bound). */
  maxSkewMs: number;
}

export type RefuseReason = "replay" | "skew" | "self";

/** How many replaced incarnations a peer's entry remembers. */
const RETIRED = 4;

interface Peer {
  incarnation: bigint;
  /** Incarnations this peer has been seen to replace, newest last: never news again. */
  retired: bigint[];
  seq: bigint;
  lastMonoMs: number;
  state: PeerState;
}

export class PeerTable {
  private readonly peers = new Map<string, Peer>();

  constructor(
    readonly self: string,
    readonly opts: PeerTableOptions,
  ) {
    if (!(opts.intervalMs > 0) || !(opts.missed >= 1) || !(opts.maxSkewMs > 0))
      throw new Error(
        `heartbeat settings need interval > 0 ms, missed >= 1 and max skew > 0 ms (got ${opts.intervalMs}, ${opts.missed}, ${opts.maxSkewMs})`,
      );
  }

  /** Applies an authenticated heartbeat; returns why it was refused or the peer's new state. */
  receive(
    hb: Heartbeat,
    wallMs: number,
    monoMs: number,
  ): { accepted: false; reason: RefuseReason } | { accepted: true; event?: PeerEvent } {
    if (hb.node === this.self) return { accepted: false, reason: "self" };
    if (Math.abs(Number(hb.sentAtMs) - wallMs) > this.opts.maxSkewMs)
      return { accepted: false, reason: "skew" };
    const p = this.peers.get(hb.node);
    // A peer that left or went silent may come back as a process whose incarnation is lower (its
    // clock was stepped back while it was down): any other incarnation is news then. A replay of
    // the old process's own datagrams still needs a higher sequence number, and older ones fail
    // the skew check above.
    const newer =
      !p ||
      (hb.incarnation === p.incarnation
        ? hb.seq > p.seq
        : !p.retired.includes(hb.incarnation) &&
          (hb.incarnation > p.incarnation || p.state !== "alive"));
    if (!newer) return { accepted: false, reason: "replay" };
    const state: PeerState = hb.leaving ? "left" : "alive";
    const changed = p?.state !== state;
    const retired =
      p && p.incarnation !== hb.incarnation
        ? [...p.retired, p.incarnation].slice(-RETIRED)
        : (p?.retired ?? []);
    this.peers.set(hb.node, {
      incarnation: hb.incarnation,
      retired,
      seq: hb.seq,
      lastMonoMs: monoMs,
      state,
    });
    return changed ? { accepted: true, event: { node: hb.node, state } } : { accepted: true };
  }

  /** Marks peers silent for `missed` intervals as dead; returns those transitions. */
  tick(monoMs: number): PeerEvent[] {
    const events: PeerEvent[] = [];
    const limit = this.opts.intervalMs * this.opts.missed;
    for (const [node, p] of this.peers) {
      if (p.state === "alive" && monoMs - p.lastMonoMs > limit) {
        p.state = "dead";
        events.push({ node, state: "dead" });
      }
    }
    return events;
  }

  /** When the next peer would be declared dead if nothing arrives (for timers). */
  nextDeadline(): number | undefined {
    const limit = this.opts.intervalMs * this.opts.missed;
    let next: number | undefined;
    for (const p of this.peers.values())
      if (p.state === "alive") next = Math.min(next ?? Infinity, p.lastMonoMs + limit);
    return next;
  }

  alive(): string[] {
    return [...this.peers]
      .filter(([, p]) => p.state === "alive")
      .map(([n]) => n)
      .sort();
  }

  state(node: string): PeerState | undefined {
    return this.peers.get(node)?.state;
  }

  /**
   * Forgets one peer (its speaker was replaced: a new Lease). Its next heartbeat is taken as
   * news even when the new process's incarnation is lower (a clock stepped back).
   */
  forget(node: string): void {
    this.peers.delete(node);
  }

  /** Forgets peers no longer in the cluster. */
  retain(nodes: ReadonlySet<string>): void {
    for (const n of this.peers.keys()) if (!nodes.has(n)) this.peers.delete(n);
  }
}
