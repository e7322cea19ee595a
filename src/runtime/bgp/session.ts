// One BGP session: the imperative shell around the pure FSM and RIB-out planner. It owns the
// TCP sockets and the timers, turns bytes into FSM events and FSM actions into bytes, and sends
// the peer the difference between what it holds and the routes it should have.
import { connect as tcpConnect, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import type { Family } from "../../api/formats/ip.js";
import type { Logger } from "../log.js";
import { Framer } from "./codec/header.js";
import { decodeMessage, encodeMessage, type BgpMessage } from "./codec/message.js";
import { SAFI_UNICAST, familyOfAfi } from "./codec/prefix.js";
import {
  endOfRib,
  endOfRibFamily,
  encodeUpdate,
  type DecodedUpdate,
  type UpdateMessage,
} from "./codec/update.js";
import { BgpError, CeaseError, ErrorCode, UNSPECIFIC } from "./errors.js";
import {
  fourOctetAsOf,
  initialFsm,
  step,
  visibleState,
  type Backoff,
  type BgpState,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  type TimerName,
} from "./fsm.js";
import type { Negotiated } from "./negotiate.js";
import { plainAddress, sessionNextHops } from "./next-hops.js";
import { planRibOut, type AdjRibOut, type ExportContext } from "./rib-out.js";
import { canonicalRoutes, type CanonicalRoute, type Route } from "./route.js";
import { checkReceivedUpdate } from "./update-check.js";
import type { AttributeProblem } from "./codec/attributes.js";
import { parseIp } from "../../api/formats/ip.js";
import { connectTcp, md5Bytes, type Md5Key } from "../native/index.js";

export interface PeerConfig {
  /** The peer's address; identifies the session. */
  address: string;
  /** The peer's TCP port (default 179). */
  port?: number;
  localAsn: number;
  /** The peer's AS, or "internal"/"external" to accept any AS of that kind (dynamicASN). */
  peerAsn: number | "internal" | "external";
  /** Our BGP identifier (an IPv4 address). */
  routerId: string;
  /** Proposed hold time in seconds, 0 or 3..65535 (default 90). */
  holdTime?: number;
  /** Keepalive interval in seconds (default and maximum: a third of the negotiated hold time). */
  keepaliveTime?: number;
  /** Delay before reconnecting, doubled per failure with jitter (default 5 s up to 120 s). */
  connectRetry?: Partial<Backoff>;
  /** Hold time while waiting for the peer's OPEN, in seconds (default 240, RFC 4271 §8). */
  openHoldTime?: number;
  /** Local address to connect from. */
  sourceAddress?: string;
  /** RFC 2385 TCP MD5 key shared with the peer (at most 80 bytes). */
  password?: Md5Key;
  /** TTL / hop limit of our packets: 1 for single-hop eBGP, 255 for multihop (default: the system's). */
  ttl?: number;
  /** Wait for the peer to connect; never connect to it. */
  passive?: boolean;
  /** Address families announced (default: the family of `address`). */
  families?: Family[];
  /** Advertise graceful restart (RFC 4724): the peer keeps our routes this many seconds (≤ 4095). */
  gracefulRestart?: { restartTime: number };
  /** Next hops for routes without one (default: the session's local addresses). */
  nextHops?: { ipv4?: string; ipv6?: string };
}

export type SessionEvent =
  | { type: "state"; peer: string; from: BgpState; to: BgpState }
  | {
      type: "up";
      peer: string;
      negotiated: Negotiated;
      localAddress: string;
      /** The peer opened the TCP connection (we were listening). */
      inbound: boolean;
    }
  | { type: "down"; peer: string; reason: string }
  /** A connection attempt or an OPEN exchange failed (before Established). */
  | { type: "attemptFailed"; peer: string; reason: string }
  | { type: "connecting"; peer: string; attempt: number }
  | { type: "collision"; peer: string; kept: "inbound" | "outbound" }
  /** A received UPDATE had malformed attributes (RFC 7606); logged once per UPDATE. */
  | {
      type: "malformedUpdate";
      peer: string;
      verdict: "accept" | "treat-as-withdraw";
      problems: AttributeProblem[];
    }
  | { type: "routesSkipped"; peer: string; skipped: { prefix: string; reason: string }[] }
  | { type: "endOfRib"; peer: string; family: Family }
  | { type: "routeRefresh"; peer: string; family: Family };

export interface SessionStats {
  peer: string;
  state: BgpState;
  /** UPDATE messages sent (End-of-RIB markers included). */
  updatesSent: number;
  updatesReceived: number;
  /** Prefixes the peer currently holds from us. */
  prefixesAnnounced: number;
  /** Times the session reached Established. */
  establishedCount: number;
  lastDownReason?: string;
  /** When the current Established session started (ms since epoch). */
  establishedAt?: number;
  /** ROUTE-REFRESH requests answered, and those folded into a later answer. */
  routeRefreshes: { answered: number; coalesced: number };
}

export type SessionListener = (e: SessionEvent) => void;

export interface SessionOptions {
  log?: Logger;
  random?: () => number;
  /**
   * Octets queued for a peer that does not read before the session is reset with a Cease (Out
   * of Resources): a stalled peer must not make the speaker buffer without bound. Default 16 MiB.
   */
  maxWriteBuffer?: number;
  /**
   * ROUTE-REFRESH is answered at most once per family in this many ms; requests meanwhile are
   * folded into one answer at the end of the interval. Default 5000.
   */
  refreshIntervalMs?: number;
}

const MAX_WRITE_BUFFER = 16 * 1024 * 1024;
const REFRESH_INTERVAL_MS = 5000;

const DEFAULTS = { port: 179, holdTime: 90, openHoldTime: 240, initialMs: 5000, maxMs: 120_000 };

/** Checks a peer configuration; returns every problem, each naming the field and the fix. */
export function checkPeerConfig(cfg: PeerConfig): string[] {
  const p: string[] = [];
  const at = `peer ${cfg.address}`;
  if (!parseIp(cfg.address)) p.push(`${at}: address must be an IPv4 or IPv6 address`);
  const asn = (n: number) => Number.isInteger(n) && n >= 1 && n <= 0xffffffff;
  if (!asn(cfg.localAsn)) p.push(`${at}: localAsn ${cfg.localAsn} must be 1..4294967295`);
  if (typeof cfg.peerAsn === "number" && !asn(cfg.peerAsn)) {
    p.push(`${at}: peerAsn ${cfg.peerAsn} must be 1..4294967295 (or "internal"/"external")`);
  }
  const rid = parseIp(cfg.routerId);
  if (!rid || rid.family !== 4 || rid.value === 0n) {
    p.push(`${at}: routerId "${cfg.routerId}" must be a non-zero IPv4 address`);
  }
  const hold = cfg.holdTime ?? DEFAULTS.holdTime;
  if (!Number.isInteger(hold) || (hold !== 0 && (hold < 3 || hold > 65535))) {
    p.push(`${at}: holdTime ${hold} must be 0 or 3..65535 seconds`);
  }
  if (cfg.keepaliveTime !== undefined && !(cfg.keepaliveTime >= 1)) {
    p.push(`${at}: keepaliveTime must be at least 1 second`);
  }
  const port = cfg.port ?? DEFAULTS.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    p.push(`${at}: port ${port} must be 1..65535`);
  if (
    cfg.sourceAddress !== undefined &&
    parseIp(cfg.sourceAddress)?.family !== parseIp(cfg.address)?.family
  ) {
    p.push(`${at}: sourceAddress "${cfg.sourceAddress}" must be an address of the peer's family`);
  }
  if (cfg.password !== undefined && md5Bytes(cfg.password).length > 80)
    p.push(`${at}: password is longer than the 80 bytes TCP MD5 allows`);
  if (cfg.ttl !== undefined && (!Number.isInteger(cfg.ttl) || cfg.ttl < 1 || cfg.ttl > 255))
    p.push(`${at}: ttl ${cfg.ttl} must be 1..255`);
  const rt = cfg.gracefulRestart?.restartTime;
  if (rt !== undefined && (!Number.isInteger(rt) || rt < 1 || rt > 4095)) {
    p.push(`${at}: gracefulRestart.restartTime ${rt} must be 1..4095 seconds`);
  }
  if (cfg.families && (cfg.families.length === 0 || cfg.families.some((f) => f !== 4 && f !== 6))) {
    p.push(`${at}: families must list 4 and/or 6`);
  }
  const { initialMs = DEFAULTS.initialMs, maxMs = DEFAULTS.maxMs } = cfg.connectRetry ?? {};
  if (!(initialMs >= 100) || !(maxMs >= initialMs)) {
    p.push(`${at}: connectRetry needs initialMs >= 100 and maxMs >= initialMs`);
  }
  return p;
}

function fsmConfig(cfg: PeerConfig): FsmConfig {
  const family: Family = cfg.address.includes(":") ? 6 : 4;
  return {
    localAsn: cfg.localAsn,
    peerAsn: cfg.peerAsn,
    routerId: cfg.routerId,
    holdTime: cfg.holdTime ?? DEFAULTS.holdTime,
    ...(cfg.keepaliveTime !== undefined ? { keepaliveTime: cfg.keepaliveTime } : {}),
    families: cfg.families ?? [family],
    ...(cfg.gracefulRestart ? { gracefulRestart: cfg.gracefulRestart } : {}),
    passive: cfg.passive ?? false,
    connectRetry: {
      initialMs: cfg.connectRetry?.initialMs ?? DEFAULTS.initialMs,
      maxMs: cfg.connectRetry?.maxMs ?? DEFAULTS.maxMs,
    },
    openHoldMs: (cfg.openHoldTime ?? DEFAULTS.openHoldTime) * 1000,
  };
}

interface Conn {
  socket: Socket;
  framer: Framer;
}

export class BgpSession {
  readonly peer: string;
  private readonly fsmCfg: FsmConfig;
  private fsm: FsmState = initialFsm();
  private readonly conns = new Map<number, Conn>();
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  private readonly listeners = new Set<SessionListener>();
  private desired = new Map<string, CanonicalRoute>();
  private adjRibOut: AdjRibOut = new Map();
  private exportCtx?: ExportContext;
  private upConn?: number;
  private lastSkipped = "";
  private queue: FsmEvent[] = [];
  private busy = false;
  private pendingIncoming?: Socket;
  private connectAttempts = 0;
  private counters = { updatesSent: 0, updatesReceived: 0, establishedCount: 0 };
  private lastDownReason?: string;
  private establishedAt?: number;

  /** ROUTE-REFRESH requests answered, and those folded into a later answer (RFC 2918). */
  private refreshes = { answered: 0, coalesced: 0 };
  private readonly lastRefresh = new Map<Family, number>();
  private readonly refreshTimers = new Map<Family, NodeJS.Timeout>();

  constructor(
    readonly config: PeerConfig,
    private readonly opts: SessionOptions = {},
  ) {
    const problems = checkPeerConfig(config);
    if (problems.length)
      throw new Error(`invalid BGP peer configuration:\n  ${problems.join("\n  ")}`);
    this.peer = plainAddress(config.address);
    this.fsmCfg = fsmConfig(config);
  }

  onEvent(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get state(): BgpState {
    return visibleState(this.fsm);
  }

  stats(): SessionStats {
    return {
      peer: this.peer,
      state: this.state,
      ...this.counters,
      prefixesAnnounced: this.adjRibOut.size,
      routeRefreshes: { ...this.refreshes },
      ...(this.lastDownReason ? { lastDownReason: this.lastDownReason } : {}),
      ...(this.establishedAt ? { establishedAt: this.establishedAt } : {}),
    };
  }

  start(): void {
    this.dispatch({ type: "start" });
  }

  /**
   * Ends the session with a Cease NOTIFICATION: Administrative Shutdown by default (with the
   * message, RFC 9003), or e.g. Peer De-configured / Other Configuration Change.
   */
  async stop(message?: string, subcode: number = CeaseError.AdministrativeShutdown): Promise<void> {
    const sockets = [...this.conns.values()].map((c) => c.socket);
    this.dispatch({ type: "stop", subcode, ...(message !== undefined ? { message } : {}) });
    await Promise.all(
      sockets.map((s) =>
        s.closed ? Promise.resolve() : new Promise<void>((r) => s.once("close", () => r())),
      ),
    );
  }

  /**
   * Ends the session for a restart of this speaker: the connections drop without a NOTIFICATION,
   * which tells a peer that negotiated graceful restart (RFC 4724 §4.2) to keep our routes,
   * marked stale, until we are back; a Cease would make it withdraw them at once.
   */
  async stopForRestart(): Promise<void> {
    for (const c of this.conns.values()) c.socket.destroy();
    await this.stop("restarting");
  }

  /**
   * The routes this peer should have. Throws RouteError (and changes nothing) when a route is
   * invalid; otherwise sends only the difference when the session is up.
   */
  setRoutes(routes: readonly Route[]): void {
    this.desired = canonicalRoutes(routes);
    this.sync();
  }

  /** A connection the peer opened to our listener. */
  acceptIncoming(socket: Socket): void {
    this.pendingIncoming = socket;
    this.dispatch({ type: "tcpIncoming" });
    if (this.pendingIncoming === socket) socket.destroy(); // neither adopted nor refused: drop
    this.pendingIncoming = undefined;
  }

  private emit(e: SessionEvent): void {
    for (const l of this.listeners) l(e);
  }

  private dispatch(event: FsmEvent): void {
    this.queue.push(event);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let e = this.queue.shift(); e; e = this.queue.shift()) {
        const before = visibleState(this.fsm);
        const { state, actions } = step(this.fsmCfg, this.fsm, e, this.opts.random ?? Math.random);
        this.fsm = state;
        for (const a of actions) this.perform(a);
        const after = visibleState(this.fsm);
        if (after !== before) {
          this.opts.log?.info("BGP session state", { peer: this.peer, from: before, to: after });
          this.emit({ type: "state", peer: this.peer, from: before, to: after });
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private perform(a: FsmAction): void {
    switch (a.type) {
      case "connect":
        this.openConnection(a.conn);
        return;
      case "adopt":
        if (this.pendingIncoming) this.attach(a.conn, this.pendingIncoming);
        this.pendingIncoming = undefined;
        return;
      case "refuse":
        this.opts.log?.info("BGP connection refused", { peer: this.peer, reason: a.reason });
        this.pendingIncoming?.destroy();
        this.pendingIncoming = undefined;
        return;
      case "send":
        this.send(a.conn, a.message);
        return;
      case "close": {
        const c = this.conns.get(a.conn);
        this.conns.delete(a.conn);
        if (this.upConn === a.conn) this.upConn = undefined;
        if (c) {
          c.socket.removeAllListeners("data");
          c.socket.end();
          setTimeout(() => c.socket.destroy(), 2000).unref();
        }
        return;
      }
      case "setTimer": {
        clearTimeout(this.timers.get(a.timer));
        const t = setTimeout(() => {
          this.timers.delete(a.timer);
          this.dispatch({ type: "timer", timer: a.timer });
        }, a.ms);
        this.timers.set(a.timer, t);
        return;
      }
      case "clearTimer":
        clearTimeout(this.timers.get(a.timer));
        this.timers.delete(a.timer);
        return;
      case "established":
        this.established(a.conn, a.negotiated);
        return;
      case "down":
        for (const t of this.refreshTimers.values()) clearTimeout(t);
        this.refreshTimers.clear();
        this.lastDownReason = a.reason;
        this.establishedAt = undefined;
        this.adjRibOut = new Map();
        this.exportCtx = undefined;
        this.opts.log?.warn("BGP session down", { peer: this.peer, reason: a.reason });
        this.emit({ type: "down", peer: this.peer, reason: a.reason });
        return;
      case "failed":
        this.opts.log?.debug("BGP attempt failed", { peer: this.peer, reason: a.reason });
        this.emit({ type: "attemptFailed", peer: this.peer, reason: a.reason });
        return;
      case "update":
        this.received(a.conn, a.update);
        return;
      case "routeRefresh":
        this.refresh(a.afi, a.safi);
        return;
      case "collision": {
        const kept = this.fsm.conns.find((c) => c.id === a.kept);
        this.emit({
          type: "collision",
          peer: this.peer,
          kept: kept?.inbound ? "inbound" : "outbound",
        });
        return;
      }
    }
  }

  private openConnection(id: number): void {
    this.connectAttempts++;
    this.emit({ type: "connecting", peer: this.peer, attempt: this.connectAttempts });
    const { password, ttl, sourceAddress } = this.config;
    const target = {
      host: this.peer,
      port: this.config.port ?? DEFAULTS.port,
      ...(sourceAddress ? { localAddress: sourceAddress } : {}),
    };
    let socket: Socket;
    try {
      // Node's sockets cannot carry an MD5 key or a TTL on their SYN: the addon makes those.
      socket =
        password !== undefined || ttl !== undefined
          ? connectTcp({
              ...target,
              ...(password !== undefined ? { md5Key: password } : {}),
              ...(ttl !== undefined ? { ttl } : {}),
            })
          : tcpConnect(target);
    } catch (err) {
      this.opts.log?.error("BGP connection could not be opened", {
        peer: this.peer,
        error: String(err),
      });
      const reason = `cannot open a connection: ${(err as Error).message}`;
      queueMicrotask(() => this.dispatch({ type: "tcpClosed", conn: id, reason }));
      return;
    }
    socket.once("connect", () => this.dispatch({ type: "tcpConnected", conn: id }));
    this.attach(id, socket);
  }

  private attach(id: number, socket: Socket): void {
    socket.setNoDelay(true);
    const conn: Conn = { socket, framer: new Framer() };
    this.conns.set(id, conn);
    let failed = false;
    socket.on("data", (chunk: Buffer) => {
      if (failed) return;
      try {
        for (const msg of conn.framer.push(chunk)) {
          const message = decodeMessage(msg, { fourOctetAs: fourOctetAsOf(this.fsm, id) });
          this.dispatch({ type: "message", conn: id, message });
          if (!this.conns.has(id)) return;
        }
      } catch (err) {
        failed = true;
        // Anything but a BgpError is our bug: end this session cleanly, never the process.
        if (!(err instanceof BgpError)) {
          this.opts.log?.error("BGP internal error", { peer: this.peer, error: String(err) });
        }
        const error =
          err instanceof BgpError
            ? err
            : new BgpError(ErrorCode.Cease, UNSPECIFIC, `internal error: ${String(err)}`);
        this.dispatch({ type: "decodeError", conn: id, error });
      }
    });
    socket.on("error", () => undefined); // the close event that follows reports it
    socket.once("close", (hadError) => {
      if (!this.conns.has(id)) return;
      this.conns.delete(id);
      this.dispatch({
        type: "tcpClosed",
        conn: id,
        reason: hadError ? "connection failed or was reset" : "connection closed by the peer",
      });
    });
  }

  private send(id: number, message: BgpMessage): void {
    const c = this.conns.get(id);
    if (!c || c.socket.destroyed) return;
    c.socket.write(encodeMessage(message, { fourOctetAs: fourOctetAsOf(this.fsm, id) }));
  }

  private sendUpdates(messages: UpdateMessage[]): void {
    const id = this.upConn;
    const c = id === undefined ? undefined : this.conns.get(id);
    if (id === undefined || !c || !this.exportCtx) return;
    for (const m of messages) c.socket.write(encodeUpdate(m, this.exportCtx));
    this.counters.updatesSent += messages.length;
    const queued = c.socket.writableLength;
    if (queued > (this.opts.maxWriteBuffer ?? MAX_WRITE_BUFFER)) {
      // The peer is not reading: reset instead of holding its backlog in memory. The FSM sends
      // the NOTIFICATION and closes the connection (destroyed soon after, backlog and all).
      this.opts.log?.warn("BGP peer does not read; resetting the session", {
        peer: this.peer,
        queued,
      });
      this.dispatch({
        type: "decodeError",
        conn: id,
        error: new BgpError(
          ErrorCode.Cease,
          CeaseError.OutOfResources,
          `the peer does not read: ${queued} octets waiting to be sent`,
        ),
      });
    }
  }

  private established(id: number, negotiated: Negotiated): void {
    const socket = this.conns.get(id)?.socket;
    const local = plainAddress(socket?.localAddress ?? "");
    const own = sessionNextHops(local, this.peer, networkInterfaces());
    this.exportCtx = {
      ibgp: negotiated.ibgp,
      localAsn: this.config.localAsn,
      fourOctetAs: negotiated.fourOctetAs,
      families: negotiated.families,
      ...own,
      ...(this.config.nextHops?.ipv4 ? { nextHop4: this.config.nextHops.ipv4 } : {}),
      ...(this.config.nextHops?.ipv6 ? { nextHop6: this.config.nextHops.ipv6 } : {}),
    };
    this.upConn = id;
    this.adjRibOut = new Map();
    this.counters.establishedCount++;
    this.establishedAt = Date.now();
    this.opts.log?.info("BGP session established", { peer: this.peer, local, ...negotiated });
    const inbound = this.fsm.conns.find((c) => c.id === id)?.inbound ?? false;
    this.emit({ type: "up", peer: this.peer, negotiated, localAddress: local, inbound });
    this.sync();
    // RFC 4724 §2: after the initial routes, one End-of-RIB per family.
    this.sendUpdates(negotiated.families.map(endOfRib));
  }

  /** Sends the difference between what the peer holds and what it should hold. */
  private sync(): void {
    if (!this.exportCtx || this.upConn === undefined) return;
    const plan = planRibOut(this.adjRibOut, this.desired, this.exportCtx);
    this.sendUpdates(plan.messages);
    this.adjRibOut = plan.adjRibOut;
    const skipped = JSON.stringify(plan.skipped);
    if (skipped !== this.lastSkipped) {
      this.lastSkipped = skipped;
      if (plan.skipped.length) {
        this.opts.log?.warn("BGP routes not announced", { peer: this.peer, skipped: plan.skipped });
        this.emit({ type: "routesSkipped", peer: this.peer, skipped: plan.skipped });
      }
    }
  }

  /**
   * RFC 2918: the peer asked for everything again. Answered at most once per family and
   * interval: a peer repeating the request cannot make the speaker re-send its table in a loop.
   */
  private refresh(afi: number, safi: number): void {
    const family = familyOfAfi(afi);
    if (!family || safi !== SAFI_UNICAST || !this.exportCtx?.families.includes(family)) return;
    const interval = this.opts.refreshIntervalMs ?? REFRESH_INTERVAL_MS;
    const wait = (this.lastRefresh.get(family) ?? -Infinity) + interval - performance.now();
    if (wait > 0) {
      this.refreshes.coalesced++;
      if (!this.refreshTimers.has(family))
        this.refreshTimers.set(
          family,
          setTimeout(() => {
            this.refreshTimers.delete(family);
            this.resend(family);
          }, wait),
        );
      return;
    }
    this.resend(family);
  }

  private resend(family: Family): void {
    if (!this.exportCtx?.families.includes(family)) return;
    this.lastRefresh.set(family, performance.now());
    this.refreshes.answered++;
    this.emit({ type: "routeRefresh", peer: this.peer, family });
    const others = new Map([...this.adjRibOut].filter(([, v]) => v.prefix.family !== family));
    const mine = new Map([...this.desired].filter(([, r]) => r.prefix.family === family));
    const plan = planRibOut(new Map(), mine, this.exportCtx);
    this.sendUpdates(plan.messages);
    this.adjRibOut = new Map([...others, ...plan.adjRibOut]);
  }

  private received(id: number, update: DecodedUpdate): void {
    this.counters.updatesReceived++;
    const negotiated = this.fsm.conns.find((c) => c.id === id)?.negotiated;
    if (!negotiated) return;
    const checked = checkReceivedUpdate(update, negotiated);
    if (checked.problems.length) {
      this.opts.log?.warn("malformed UPDATE from peer", {
        peer: this.peer,
        verdict: checked.verdict,
        problems: checked.problems,
      });
      this.emit({
        type: "malformedUpdate",
        peer: this.peer,
        verdict: checked.verdict,
        problems: checked.problems,
      });
    }
    const eor = endOfRibFamily(checked.message);
    if (eor) this.emit({ type: "endOfRib", peer: this.peer, family: eor });
  }
}
