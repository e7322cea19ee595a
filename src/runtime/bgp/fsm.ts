// The RFC 4271 §8 finite state machine of one configured peer, as a pure function:
// (config, state, event, random) → (state, actions). The shell (session.ts) owns sockets and
// timers and does what the actions say.
//
// As RFC 4271 §8 describes, each TCP connection has its own progress (OpenSent → OpenConfirm →
// Established); the peer may hold one connection we initiated and one it initiated at the same
// time, and the §6.8 collision rule decides which survives. The peer-level phase (Idle,
// Connect, Active) covers the time no connection has reached OpenSent.
import type { BgpMessage, DecodedMessage } from "./codec/message.js";
import { shutdownCommunication } from "./codec/notification.js";
import type { DecodedUpdate } from "./codec/update.js";
import {
  BgpError,
  CeaseError,
  ErrorCode,
  FsmError,
  UNSPECIFIC,
  describeNotification,
} from "./errors.js";
import { describeNotificationMessage } from "./codec/notification.js";
import {
  buildOpen,
  negotiate,
  routerIdValue,
  type LocalConfig,
  type Negotiated,
} from "./negotiate.js";

export type BgpState = "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established";

export interface Backoff {
  /** First retry delay; each further failure doubles it. */
  initialMs: number;
  maxMs: number;
}

export interface FsmConfig extends LocalConfig {
  /** Only accept connections; never initiate one. */
  passive: boolean;
  connectRetry: Backoff;
  /** Hold timer while waiting for the peer's OPEN (RFC 4271 suggests 4 minutes). */
  openHoldMs: number;
}

type ConnState = "Connecting" | "OpenSent" | "OpenConfirm" | "Established";

export interface Connection {
  id: number;
  /** Initiated by the peer. */
  inbound: boolean;
  state: ConnState;
  negotiated?: Negotiated;
  /** The peer's BGP identifier from its OPEN (for collision resolution). */
  peerId?: number;
}

export interface FsmState {
  running: boolean;
  phase: "Idle" | "Connect" | "Active";
  /** Failures since the session was last Established; drives the backoff. */
  attempts: number;
  /** RFC 4724 R bit for our next OPEN: set until the first session of this process is up. */
  restarting: boolean;
  conns: Connection[];
  nextConn: number;
}

export type TimerName = "idleHold" | "connectRetry" | `hold/${number}` | `keepalive/${number}`;

export type FsmEvent =
  | { type: "start" }
  | { type: "stop"; subcode: number; message?: string }
  | { type: "timer"; timer: TimerName }
  | { type: "tcpConnected"; conn: number }
  /** The peer connected to us; the socket is adopted (with a connection id) or refused. */
  | { type: "tcpIncoming" }
  | { type: "tcpClosed"; conn: number; reason: string }
  | { type: "message"; conn: number; message: DecodedMessage }
  | { type: "decodeError"; conn: number; error: BgpError };

export type FsmAction =
  | { type: "connect"; conn: number }
  | { type: "adopt"; conn: number }
  | { type: "refuse"; reason: string }
  | { type: "send"; conn: number; message: BgpMessage }
  | { type: "close"; conn: number }
  | { type: "setTimer"; timer: TimerName; ms: number }
  | { type: "clearTimer"; timer: TimerName }
  | { type: "established"; conn: number; negotiated: Negotiated }
  /** The Established session ended. */
  | { type: "down"; reason: string }
  /** An attempt ended before reaching Established. */
  | { type: "failed"; reason: string }
  | { type: "update"; conn: number; update: DecodedUpdate }
  | { type: "routeRefresh"; conn: number; afi: number; safi: number }
  | { type: "collision"; kept: number; dropped: number };

export const initialFsm = (): FsmState => ({
  running: false,
  phase: "Idle",
  attempts: 0,
  restarting: true,
  conns: [],
  nextConn: 1,
});

const RANK: Record<ConnState, number> = {
  Connecting: 0,
  OpenSent: 1,
  OpenConfirm: 2,
  Established: 3,
};

/** The RFC 4271 state an operator would see: the most advanced connection, else the phase. */
export function visibleState(s: FsmState): BgpState {
  const best = s.conns.reduce<Connection | undefined>(
    (b, c) => (c.state !== "Connecting" && (!b || RANK[c.state] > RANK[b.state]) ? c : b),
    undefined,
  );
  return best ? (best.state as BgpState) : s.phase;
}

/** Exponential backoff with the RFC 4271 §10 jitter (a factor uniform in 0.75..1). */
export function backoffMs(attempt: number, b: Backoff, random: () => number): number {
  const base = Math.min(b.initialMs * 2 ** Math.min(attempt, 30), b.maxMs);
  return Math.round(base * (0.75 + 0.25 * random()));
}

const hold = (id: number): TimerName => `hold/${id}`;
const keepalive = (id: number): TimerName => `keepalive/${id}`;

function notification(
  code: number,
  subcode: number,
  data: Uint8Array = new Uint8Array(0),
): BgpMessage {
  return { type: "notification", code, subcode, data: Buffer.from(data) };
}

const UNEXPECTED: Record<ConnState, number> = {
  Connecting: UNSPECIFIC,
  OpenSent: FsmError.UnexpectedInOpenSent,
  OpenConfirm: FsmError.UnexpectedInOpenConfirm,
  Established: FsmError.UnexpectedInEstablished,
};

/** One transition; `random` supplies the backoff jitter. */
export function step(
  cfg: FsmConfig,
  state: FsmState,
  event: FsmEvent,
  random: () => number,
): { state: FsmState; actions: FsmAction[] } {
  const s: FsmState = { ...state, conns: state.conns.map((c) => ({ ...c })) };
  const out: FsmAction[] = [];
  const find = (id: number) => s.conns.find((c) => c.id === id);

  const delay = () => backoffMs(s.attempts, cfg.connectRetry, random);

  /** Opens an outbound connection and bounds it with the connect-retry timer. */
  const connect = () => {
    const id = s.nextConn++;
    s.conns.push({ id, inbound: false, state: "Connecting" });
    s.phase = "Connect";
    out.push(
      { type: "connect", conn: id },
      { type: "setTimer", timer: "connectRetry", ms: delay() },
    );
  };

  const begin = () => {
    if (cfg.passive) s.phase = "Active";
    else connect();
  };

  /** Removes a connection, telling the peer why when an OPEN was already sent. */
  const drop = (c: Connection, sent?: BgpMessage) => {
    if (sent && c.state !== "Connecting") out.push({ type: "send", conn: c.id, message: sent });
    out.push(
      { type: "close", conn: c.id },
      { type: "clearTimer", timer: hold(c.id) },
      { type: "clearTimer", timer: keepalive(c.id) },
    );
    s.conns = s.conns.filter((x) => x.id !== c.id);
  };

  /** A connection that had sent its OPEN is gone: report it, back off when none is left. */
  const lost = (c: Connection, reason: string) => {
    out.push({ type: c.state === "Established" ? "down" : "failed", reason });
    if (s.conns.length > 0 || !s.running) return;
    s.attempts++;
    s.phase = "Idle";
    out.push(
      { type: "clearTimer", timer: "connectRetry" },
      { type: "setTimer", timer: "idleHold", ms: delay() },
    );
  };

  const fail = (c: Connection, err: BgpError) => {
    drop(c, notification(err.code, err.subcode, err.data));
    lost(c, `sent NOTIFICATION ${err.message}`);
  };

  const sendOpen = (c: Connection) => {
    c.state = "OpenSent";
    out.push(
      { type: "send", conn: c.id, message: buildOpen(cfg, s.restarting) },
      { type: "setTimer", timer: hold(c.id), ms: cfg.openHoldMs },
    );
  };

  /** §6.8: of two connections, keep the one initiated by the side with the higher identifier. */
  const resolveCollision = (c: Connection): boolean => {
    const other = s.conns.find(
      (o) => o.id !== c.id && (o.state === "OpenConfirm" || o.state === "Established"),
    );
    if (!other) return true;
    const cease = notification(ErrorCode.Cease, CeaseError.ConnectionCollisionResolution);
    const weWin = routerIdValue(cfg.routerId) > (c.peerId ?? 0);
    // The connection we initiated has inbound === false: it survives when we win.
    const loser = other.state === "Established" ? c : other.inbound === weWin ? other : c;
    const winner = loser === c ? other : c;
    out.push({ type: "collision", kept: winner.id, dropped: loser.id });
    drop(loser, cease);
    return loser !== c;
  };

  const armHold = (c: Connection) => {
    const seconds = c.negotiated?.holdTime ?? 0;
    out.push(
      seconds > 0
        ? { type: "setTimer", timer: hold(c.id), ms: seconds * 1000 }
        : { type: "clearTimer", timer: hold(c.id) },
    );
  };

  const onMessage = (c: Connection, m: DecodedMessage) => {
    if (m.type === "notification") {
      drop(c);
      lost(c, `received NOTIFICATION ${describeNotificationMessage(m)}`);
      return;
    }
    if (c.state === "OpenSent" && m.type === "open") {
      c.negotiated = negotiate(cfg, m);
      c.peerId = m.bgpId;
      if (!resolveCollision(c)) return;
      c.state = "OpenConfirm";
      out.push({ type: "send", conn: c.id, message: { type: "keepalive" } });
      armHold(c);
      if (c.negotiated.keepaliveMs > 0) {
        out.push({ type: "setTimer", timer: keepalive(c.id), ms: c.negotiated.keepaliveMs });
      }
      return;
    }
    if (c.state === "OpenConfirm" && m.type === "keepalive" && c.negotiated) {
      armHold(c);
      c.state = "Established";
      s.attempts = 0;
      s.restarting = false;
      for (const o of s.conns.filter((o) => o.id !== c.id && o.state === "Connecting")) drop(o);
      out.push(
        { type: "clearTimer", timer: "connectRetry" },
        { type: "clearTimer", timer: "idleHold" },
        { type: "established", conn: c.id, negotiated: c.negotiated },
      );
      return;
    }
    if (c.state === "Established" && m.type !== "open") {
      armHold(c);
      if (m.type === "update") out.push({ type: "update", conn: c.id, update: m });
      if (m.type === "routeRefresh") {
        out.push({ type: "routeRefresh", conn: c.id, afi: m.afi, safi: m.safi });
      }
      return;
    }
    throw new BgpError(
      ErrorCode.Fsm,
      UNEXPECTED[c.state],
      `unexpected ${m.type.toUpperCase()} in state ${c.state}`,
    );
  };

  switch (event.type) {
    case "start":
      if (!s.running) {
        s.running = true;
        s.attempts = 0;
        begin();
      }
      break;

    case "stop": {
      const data =
        event.message !== undefined &&
        (event.subcode === CeaseError.AdministrativeShutdown ||
          event.subcode === CeaseError.AdministrativeReset)
          ? shutdownCommunication(event.message)
          : new Uint8Array(0);
      const wasUp = s.conns.some((c) => c.state === "Established");
      for (const c of [...s.conns]) drop(c, notification(ErrorCode.Cease, event.subcode, data));
      if (wasUp)
        out.push({
          type: "down",
          reason: `stopped: ${describeNotification(ErrorCode.Cease, event.subcode)}`,
        });
      s.running = false;
      s.phase = "Idle";
      s.attempts = 0;
      out.push(
        { type: "clearTimer", timer: "connectRetry" },
        { type: "clearTimer", timer: "idleHold" },
      );
      break;
    }

    case "timer": {
      const [kind, idText] = event.timer.split("/");
      const c = idText === undefined ? undefined : find(Number(idText));
      if (kind === "idleHold" && s.running && s.phase === "Idle" && s.conns.length === 0) begin();
      if (kind === "connectRetry" && s.running && !cfg.passive) {
        const pending = s.conns.find((x) => !x.inbound && x.state === "Connecting");
        if (s.conns.some((x) => x.state !== "Connecting")) break; // a session is in progress
        if (pending) {
          drop(pending);
          s.attempts++;
        }
        connect();
      }
      if (kind === "hold" && c) {
        fail(
          c,
          new BgpError(
            ErrorCode.HoldTimerExpired,
            UNSPECIFIC,
            "no message from the peer within the hold time",
          ),
        );
      }
      if (kind === "keepalive" && c && c.negotiated && c.negotiated.keepaliveMs > 0) {
        out.push(
          { type: "send", conn: c.id, message: { type: "keepalive" } },
          { type: "setTimer", timer: keepalive(c.id), ms: c.negotiated.keepaliveMs },
        );
      }
      break;
    }

    case "tcpConnected": {
      const c = find(event.conn);
      if (c?.state === "Connecting") {
        out.push({ type: "clearTimer", timer: "connectRetry" });
        sendOpen(c);
      }
      break;
    }

    case "tcpIncoming": {
      const reason = !s.running
        ? "the session is stopped"
        : s.phase === "Idle" && s.conns.length === 0
          ? "the session is idle (backing off)"
          : s.conns.some((c) => c.state === "Established")
            ? "a session is already established (RFC 4271 §6.8)"
            : s.conns.some((c) => c.inbound)
              ? "the peer already has a connection in progress"
              : undefined;
      if (reason) {
        out.push({ type: "refuse", reason });
        break;
      }
      const c: Connection = { id: s.nextConn++, inbound: true, state: "Connecting" };
      s.conns.push(c);
      out.push({ type: "adopt", conn: c.id });
      sendOpen(c);
      break;
    }

    case "tcpClosed": {
      const c = find(event.conn);
      if (!c) break;
      drop(c);
      if (c.state !== "Connecting") {
        lost(c, event.reason);
        break;
      }
      // An outbound attempt failed: wait in Active (accepting) until the connect-retry timer.
      out.push({ type: "failed", reason: event.reason });
      if (s.conns.length === 0 && s.running) {
        s.attempts++;
        s.phase = "Active";
        out.push({ type: "setTimer", timer: "connectRetry", ms: delay() });
      }
      break;
    }

    case "message": {
      const c = find(event.conn);
      if (!c || c.state === "Connecting") break;
      try {
        onMessage(c, event.message);
      } catch (err) {
        if (!(err instanceof BgpError)) throw err;
        fail(c, err);
      }
      break;
    }

    case "decodeError": {
      const c = find(event.conn);
      if (c && c.state !== "Connecting") fail(c, event.error);
      break;
    }
  }
  return { state: s, actions: out };
}

/** Whether a connection's UPDATEs use 4-octet ASNs (known once its OPEN is accepted). */
export const fourOctetAsOf = (s: FsmState, conn: number): boolean =>
  s.conns.find((c) => c.id === conn)?.negotiated?.fourOctetAs ?? true;
