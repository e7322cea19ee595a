// Heartbeats over UDP: every interval each peer gets a sealed heartbeat; received ones are
// verified, checked against replays and fed to the failure detector (peers.ts).
import { randomInt } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { isIPv4, isIPv6 } from "node:net";
import { performance } from "node:perf_hooks";
import type { Logger } from "../log.js";
import { checkKey, encodeHeartbeat, verifyHeartbeat, type RejectReason } from "./codec.js";
import { PeerTable, type PeerEvent, type RefuseReason } from "./peers.js";

export interface HeartbeatPeer {
  node: string;
  address: string;
  port?: number;
}

export interface HeartbeatOptions {
  node: string;
  /** The first key seals what this node sends; any of them is accepted (key rotation). */
  keys: readonly Uint8Array[];
  /** UDP port to listen on (both families) and the default port of peers. */
  port: number;
  intervalMs?: number;
  missed?: number;
  maxSkewMs?: number;
  log?: Logger;
  /** A peer became alive, dead (silent for `missed` intervals) or left (said it is leaving). */
  onPeer?: (event: PeerEvent) => void;
}

export interface HeartbeatCounters {
  sent: number;
  sendErrors: number;
  received: number;
  accepted: number;
  /** Accepted under another key than the one this node seals with (a rotation in progress). */
  acceptedOtherKey: number;
  dropped: Record<RejectReason | RefuseReason, number>;
}

const LEAVE_REPEATS = 3;

function checkKeys(keys: readonly Uint8Array[]): readonly Uint8Array[] {
  if (!keys.length) throw new Error("heartbeats need at least one key");
  keys.forEach(checkKey);
  return [...keys];
}

export class HeartbeatTransport {
  readonly table: PeerTable;
  private keys: readonly Uint8Array[];
  private readonly sockets: { family: 4 | 6; socket: Socket }[] = [];
  private peers: HeartbeatPeer[] = [];
  private readonly incarnation = (BigInt(Date.now()) << 16n) | BigInt(randomInt(65536));
  private seq = 0n;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly counts: HeartbeatCounters = {
    sent: 0,
    sendErrors: 0,
    received: 0,
    accepted: 0,
    acceptedOtherKey: 0,
    dropped: { malformed: 0, version: 0, auth: 0, replay: 0, skew: 0, self: 0 },
  };

  private constructor(private readonly opts: HeartbeatOptions) {
    this.keys = checkKeys(opts.keys);
    this.table = new PeerTable(opts.node, {
      intervalMs: opts.intervalMs ?? 100,
      missed: opts.missed ?? 3,
      maxSkewMs: opts.maxSkewMs ?? 10_000,
    });
  }

  /** Binds the port on IPv4 and (when the node has it) IPv6, and starts sending. */
  static async start(opts: HeartbeatOptions): Promise<HeartbeatTransport> {
    const t = new HeartbeatTransport(opts);
    const port = opts.port;
    await t.bind(4, port, "0.0.0.0");
    await t
      .bind(6, port, "::")
      .catch((err: Error) => opts.log?.warn("no IPv6 heartbeat socket", { error: err.message }));
    const interval = t.table.opts.intervalMs;
    t.timers.push(setInterval(() => void t.beat(false), interval));
    // Judged in the check phase, after the loop's poll phase: when this process was stalled,
    // the heartbeats that arrived meanwhile are read before anyone's silence is counted,
    // instead of a peer being declared dead by a timer that fires first.
    t.timers.push(setInterval(() => setImmediate(() => t.check()), Math.max(5, interval / 4)));
    return t;
  }

  /** Replaces the keys (a rotation): the first seals from now on, every one is accepted. */
  setKeys(keys: readonly Uint8Array[]): void {
    this.keys = checkKeys(keys);
  }

  /** The peers to send to (from Kubernetes); peers no longer listed are forgotten. */
  setPeers(peers: readonly HeartbeatPeer[]): void {
    for (const p of peers)
      if (!isIPv4(p.address) && !isIPv6(p.address))
        throw new Error(`heartbeat peer ${p.node}: "${p.address}" is not an IP address`);
    this.peers = peers.filter((p) => p.node !== this.opts.node);
    this.table.retain(new Set(this.peers.map((p) => p.node)));
  }

  alive(): string[] {
    return this.table.alive();
  }

  counters(): HeartbeatCounters {
    return { ...this.counts, dropped: { ...this.counts.dropped } };
  }

  /** Tells every peer this node is leaving (so they take over at once), then closes. */
  async leave(): Promise<void> {
    if (this.closed) return;
    for (let i = 0; i < LEAVE_REPEATS; i++) await this.beat(true);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timers.forEach(clearInterval);
    for (const s of this.sockets) s.socket.close();
  }

  private bind(family: 4 | 6, port: number, address: string): Promise<void> {
    const socket = createSocket({ type: family === 4 ? "udp4" : "udp6", ipv6Only: family === 6 });
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, address, () => {
        socket.off("error", reject);
        socket.on("error", (err) =>
          this.opts.log?.warn("heartbeat socket error", { error: err.message }),
        );
        socket.on("message", (msg) => this.receive(msg));
        this.sockets.push({ family, socket });
        resolve();
      });
    });
  }

  private async beat(leaving: boolean): Promise<void> {
    if (this.closed) return;
    const packet = encodeHeartbeat(
      {
        node: this.opts.node,
        incarnation: this.incarnation,
        seq: ++this.seq,
        sentAtMs: BigInt(Date.now()),
        leaving,
      },
      this.keys[0] as Uint8Array,
    );
    await Promise.all(this.peers.map((p) => this.sendTo(p, packet)));
  }

  private sendTo(peer: HeartbeatPeer, packet: Buffer): Promise<void> {
    const family = isIPv4(peer.address) ? 4 : 6;
    const s = this.sockets.find((x) => x.family === family);
    if (!s) {
      this.counts.sendErrors++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      s.socket.send(packet, peer.port ?? this.opts.port, peer.address, (err) => {
        if (err) this.counts.sendErrors++;
        else this.counts.sent++;
        resolve();
      }),
    );
  }

  private receive(msg: Buffer): void {
    this.counts.received++;
    const v = verifyHeartbeat(msg, this.keys);
    if (!v.ok) {
      this.counts.dropped[v.reason]++;
      return;
    }
    const r = this.table.receive(v.heartbeat, Date.now(), performance.now());
    if (!r.accepted) {
      this.counts.dropped[r.reason]++;
      return;
    }
    this.counts.accepted++;
    if (v.keyIndex > 0) this.counts.acceptedOtherKey++;
    if (r.event) this.emit(r.event);
  }

  private check(): void {
    for (const e of this.table.tick(performance.now())) this.emit(e);
  }

  private emit(event: PeerEvent): void {
    this.opts.log?.info("heartbeat peer state", { ...event });
    try {
      this.opts.onPeer?.(event);
    } catch (err) {
      this.opts.log?.error("heartbeat peer listener failed", { error: (err as Error).message });
    }
  }
}
