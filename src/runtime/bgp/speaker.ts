// A BGP speaker: a set of sessions keyed by peer address, and an optional listener that hands
// each incoming connection to the session of the address it comes from.
import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "../log.js";
import { setTcpMd5 } from "../native/index.js";
import { CeaseError } from "./errors.js";
import { plainAddress } from "./next-hops.js";
import type { Route } from "./route.js";
import { BgpSession, type PeerConfig, type SessionListener, type SessionStats } from "./session.js";

export interface SpeakerOptions {
  /** Accept connections from configured peers on this port (179 needs CAP_NET_BIND_SERVICE). */
  listen?: { port: number; host?: string };
  log?: Logger;
  /** Backoff jitter source (tests pass a seeded one). */
  random?: () => number;
}

export class BgpSpeaker {
  private readonly sessions = new Map<string, BgpSession>();
  private readonly listeners = new Set<SessionListener>();
  private server?: Server;

  constructor(private readonly opts: SpeakerOptions = {}) {}

  /** Starts the listener, if one is configured. */
  async start(): Promise<void> {
    const listen = this.opts.listen;
    if (!listen || this.server) return;
    const server = createServer((socket) => this.incoming(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) =>
        reject(
          new Error(
            `BGP listener on port ${listen.port} could not start: ${err.message}` +
              " (port 179 needs root or CAP_NET_BIND_SERVICE; is another BGP daemon listening?)",
          ),
        ),
      );
      server.listen({ port: listen.port, ...(listen.host ? { host: listen.host } : {}) }, resolve);
    });
    server.on("error", (err) => this.opts.log?.error("BGP listener error", { error: err.message }));
    this.server = server;
    for (const s of this.sessions.values()) this.keyListener(s.config);
  }

  /**
   * A peer with a TCP MD5 key can only connect to us if the listening socket holds its key
   * (the kernel drops unsigned or wrongly signed SYNs before they reach accept()).
   */
  private keyListener(config: PeerConfig, remove = false): void {
    if (config.password === undefined || !this.server) return;
    // net.Server exposes no descriptor; libuv's handle carries it on Linux.
    const fd = (this.server as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (fd === undefined || fd < 0) {
      this.opts.log?.warn("no listening descriptor for the TCP MD5 key; the peer must be dialled", {
        peer: config.address,
      });
      return;
    }
    setTcpMd5(fd, plainAddress(config.address), remove ? new Uint8Array() : config.password);
  }

  /** The port the listener is bound to (useful with port 0). */
  listeningPort(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === "object" ? a.port : undefined;
  }

  private incoming(socket: Socket): void {
    const from = plainAddress(socket.remoteAddress ?? "");
    const session = this.sessions.get(from);
    if (!session) {
      this.opts.log?.info("BGP connection from an unknown peer refused", { from });
      socket.destroy();
      return;
    }
    session.acceptIncoming(socket);
  }

  /** Adds and starts a session; throws when the configuration is invalid or the peer exists. */
  addPeer(config: PeerConfig): BgpSession {
    const session = new BgpSession(config, {
      ...(this.opts.log ? { log: this.opts.log } : {}),
      ...(this.opts.random ? { random: this.opts.random } : {}),
    });
    if (this.sessions.has(session.peer)) {
      throw new Error(`BGP peer ${session.peer} is already configured; remove it first`);
    }
    this.keyListener(config);
    this.sessions.set(session.peer, session);
    session.onEvent((e) => {
      for (const l of this.listeners) l(e);
    });
    session.start();
    return session;
  }

  /**
   * Stops and forgets a peer: Cease/Peer De-configured, or another Cease subcode such as
   * CeaseError.OtherConfigurationChange when the peer is re-added with new settings.
   */
  async removePeer(address: string, subcode: number = CeaseError.PeerDeconfigured): Promise<void> {
    const key = plainAddress(address);
    const session = this.sessions.get(key);
    if (!session) return;
    this.sessions.delete(key);
    await session.stop(undefined, subcode);
    this.keyListener(session.config, true);
  }

  peer(address: string): BgpSession | undefined {
    return this.sessions.get(plainAddress(address));
  }

  peers(): BgpSession[] {
    return [...this.sessions.values()];
  }

  /** The same routes to every peer (per-peer routes: `peer(address).setRoutes`). */
  setRoutes(routes: readonly Route[]): void {
    for (const s of this.sessions.values()) s.setRoutes(routes);
  }

  stats(): SessionStats[] {
    return this.peers().map((s) => s.stats());
  }

  /** Events of every session. */
  onEvent(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops every session. With `restarting`, sessions that advertise graceful restart just drop
   * (the peer keeps our routes until we are back, RFC 4724); the others get a Cease.
   */
  async stop(
    message = "speaker shutting down",
    opts: { restarting?: boolean } = {},
  ): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : undefined;
    await Promise.all(
      this.peers().map((s) =>
        opts.restarting && s.config.gracefulRestart ? s.stopForRestart() : s.stop(message),
      ),
    );
    this.sessions.clear();
    await closed;
  }
}
