// The BGP driver of the speaker: one native session per BGPPeer this node has, each told exactly
// the routes the pure desired-routes computation gives it. Sessions are replaced only when their
// configuration changes, so a Service change never resets a session.
import { problem, type Peer, type Problem } from "../../model/index.js";
import type { Logger } from "../log.js";
import type { DesiredRoute } from "./desired-routes.js";
import { BgpSpeaker, type PeerConfig, type SessionEvent } from "../bgp/index.js";
import { peerConfig, type PeerContext } from "./bgp-peer-config.js";
import type { BgpDriver, BgpSessionFact } from "./drivers.js";

export class NativeBgpDriver implements BgpDriver {
  private readonly speaker: BgpSpeaker;
  /** BGPPeer name → its running configuration. */
  private readonly running = new Map<string, PeerConfig>();
  /** BGPPeer name → why its session last ended or failed to start. */
  private readonly lastError = new Map<string, string>();

  constructor(
    private readonly opts: {
      log: Logger;
      onEvent?: (peerName: string, e: SessionEvent) => void;
    },
  ) {
    this.speaker = new BgpSpeaker({ log: opts.log });
    this.speaker.onEvent((e) => {
      const name = [...this.running].find(([, c]) => c.address === e.peer)?.[0] ?? e.peer;
      if (e.type === "down" || e.type === "attemptFailed") this.lastError.set(name, e.reason);
      if (e.type === "up") this.lastError.delete(name);
      opts.onEvent?.(name, e);
    });
  }

  /** Returns every configuration problem of this node's peers (the shell reports them). */
  async apply(
    peers: readonly Peer[],
    routes: Map<string, DesiredRoute[]>,
    node: { name: string; ipv4?: string },
    ctx: PeerContext,
  ): Promise<Problem[]> {
    const wanted = new Map<string, PeerConfig>();
    const problems: Problem[] = [];
    for (const peer of peers) {
      if (!routes.has(peer.name)) continue; // not a peer of this node
      const v = peerConfig(peer, node, ctx);
      // The native speaker's messages carry their fix.
      for (const message of v.problems)
        problems.push(problem("BGPPeer", peer.name, [], message, ""));
      if (v.config) wanted.set(peer.name, v.config);
    }
    await this.reconcile(wanted, routes, problems);
    return problems;
  }

  private async reconcile(
    wanted: Map<string, PeerConfig>,
    routes: Map<string, DesiredRoute[]>,
    problems: Problem[],
  ): Promise<void> {
    for (const [name, cfg] of this.running) {
      const next = wanted.get(name);
      if (next && JSON.stringify(next) === JSON.stringify(cfg)) continue;
      await this.speaker.removePeer(cfg.address);
      this.running.delete(name);
    }
    for (const [name, cfg] of wanted) {
      if (!this.running.has(name)) {
        try {
          this.speaker.addPeer(cfg);
          this.running.set(name, cfg);
        } catch (err) {
          problems.push(problem("BGPPeer", name, [], (err as Error).message, ""));
          continue;
        }
      }
      this.speaker.peer(cfg.address)?.setRoutes(
        (routes.get(name) ?? []).map((r) => ({
          prefix: r.prefix,
          communities: r.communities,
          largeCommunities: r.largeCommunities,
          ...(r.localPref !== undefined ? { localPref: r.localPref } : {}),
        })),
      );
    }
  }

  sessions(): BgpSessionFact[] {
    return [...this.running].map(([name, cfg]) => {
      const established = this.speaker.peer(cfg.address)?.stats().state === "Established";
      const lastError = this.lastError.get(name);
      return {
        peer: name,
        address: cfg.address,
        established,
        ...(!established && lastError ? { lastError } : {}),
      };
    });
  }

  /** Session facts by peer address (the `peer` label of upstream's metrics), for metrics. */
  stats(): { peer: string; up: boolean; prefixes: number; updates: number }[] {
    return [...this.running.values()].map((cfg) => {
      const s = this.speaker.peer(cfg.address)?.stats();
      return {
        peer: cfg.address,
        up: s?.state === "Established",
        prefixes: s?.prefixesAnnounced ?? 0,
        updates: s?.updatesSent ?? 0,
      };
    });
  }

  /**
   * On SIGTERM the speaker is most often being restarted (a rolling update): peers with graceful
   * restart keep its routes meanwhile; the others are told it is going (Cease).
   */
  stop(): Promise<void> {
    return this.speaker.stop("speaker shutting down", { restarting: true });
  }
}
