// The BGP driver of FRR mode: every pass renders the node's whole FRR configuration (render.ts);
// a changed text is applied through the FRR agent after a short quiet period, so a burst of
// changes is one reload. What FRR then runs is read back (readback.ts) for the sessions the
// ConfigurationState lists and for the metrics. A configuration FRR refuses leaves the last good
// one running and becomes the FRRConfiguration condition, with FRR's own message.
import type { BfdProfile, Peer, Problem } from "../../../model/index.js";
import type { ConditionDraft } from "../../kube/conditions.js";
import type { Logger } from "../../log.js";
import type { PeerContext } from "../bgp-peer-config.js";
import type { DesiredRoute } from "../desired-routes.js";
import type { BgpDriver, BgpSessionFact } from "../drivers.js";
import type { FrrControl, ReloadStage } from "./agent-client.js";
import {
  parseBfdPeers,
  parseNeighbors,
  type BfdPeerState,
  type FrrNeighborState,
} from "./readback.js";
import { renderFrrConfig, type FrrSession } from "./render.js";

export interface FrrDriverOptions {
  control: FrrControl;
  log: Logger;
  /** How long a change waits for more before FRR is reloaded (ms). */
  debounceMs?: number;
  /** How often FRR's state is read back (ms). */
  pollMs?: number;
  /** First retry after FRR failed to apply a configuration it had accepted (ms; doubles). */
  retryMs?: number;
  /** Something the ConfigurationState reports changed (a session, a reload's outcome). */
  onChange?: () => void;
}

export interface FrrReloadStats {
  reloads: number;
  /** Of the reloads, those that only added lines (applied without a full diff). */
  incremental: number;
  failures: number;
  lastMs?: number;
}

const EMPTY = new Map<string, BfdProfile>();

const FAILURE_REASON: Record<ReloadStage, string> = {
  check: "FRRRejectedConfiguration",
  agent: "FRRUnreachable",
  reload: "FRRApplyFailed",
};

export class FrrBgpDriver implements BgpDriver {
  private wanted: string | undefined;
  private applied: string | undefined;
  private planned: FrrSession[] = [];
  /**
   * The last reload that failed: `check` means FRR refused the text (kept until the text
   * changes); `reload` (applying failed: a daemon down or restarting) and `agent` (the agent
   * unreachable) are retried.
   */
  private failure:
    { message: string; stage: ReloadStage; text: string; retries: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private neighbors: FrrNeighborState[] = [];
  private bfd: BfdPeerState[] = [];
  private lastKey = "";
  private lastReapply = Date.now();
  private stopped = false;
  private polling = false;
  readonly reloadStats: FrrReloadStats = { reloads: 0, incremental: 0, failures: 0 };

  constructor(private readonly opts: FrrDriverOptions) {
    this.poller = setInterval(() => void this.poll(), opts.pollMs ?? 1000);
  }

  apply(
    peers: readonly Peer[],
    routes: Map<string, DesiredRoute[]>,
    node: { name: string; ipv4?: string },
    ctx: PeerContext,
    bfdProfiles: ReadonlyMap<string, BfdProfile> = EMPTY,
  ): Promise<Problem[]> {
    const r = renderFrrConfig({ node, peers, routes, bfdProfiles, ctx });
    this.planned = r.sessions;
    if (r.text !== this.wanted) {
      this.wanted = r.text;
      if (r.text === this.applied && this.failure) {
        // Back to what FRR runs (a bad change reverted): nothing to reload, nothing refused.
        clearTimeout(this.timer);
        this.timer = undefined;
        this.failure = undefined;
        this.opts.onChange?.();
      } else this.schedule(this.opts.debounceMs ?? 100);
    }
    return Promise.resolve(r.problems);
  }

  /** Resolves once the wanted configuration has been offered to FRR (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.timer || this.reloading) {
      await this.reloading;
      if (this.timer) await new Promise((r) => setTimeout(r, 10));
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reloading ??= this.reload().finally(() => {
        this.reloading = undefined;
      });
    }, ms);
  }

  private async reload(): Promise<void> {
    while (this.wanted !== undefined && this.wanted !== this.applied && !this.stopped) {
      const text = this.wanted;
      if (this.failure?.stage === "check" && this.failure.text === text) return; // wait for a change
      const res = await this.opts.control.reload(text);
      if (res.ok) {
        this.applied = text;
        this.failure = undefined;
        this.reloadStats.reloads++;
        if (res.incremental) this.reloadStats.incremental++;
        this.reloadStats.lastMs = res.ms;
        this.opts.log.info("FRR runs the new configuration", {
          ms: res.ms,
          incremental: res.incremental === true,
        });
      } else {
        this.reloadStats.failures++;
        this.opts.log.warn("FRR did not take the configuration; the last good one keeps running", {
          stage: res.stage,
          message: res.message,
        });
        const retries = this.failure?.text === text ? this.failure.retries + 1 : 0;
        this.failure = { message: res.message, stage: res.stage, text, retries };
        // A refusal waits for a configuration that differs. An unreachable agent (FRR's
        // container restarting) and a failed apply of accepted text (a daemon down) are not
        // about the text: they are retried, a failed apply backing off up to a minute.
        if (res.stage === "agent") this.schedule(2000);
        else if (res.stage !== "check")
          this.schedule(Math.min((this.opts.retryMs ?? 2000) * 2 ** retries, 60_000));
        this.opts.onChange?.();
        return;
      }
      this.opts.onChange?.();
    }
    await this.poll();
  }

  private async poll(): Promise<void> {
    // A read-back slower than the interval (a loaded node) must not pile up vtysh runs.
    if (this.stopped || this.polling) return;
    this.polling = true;
    try {
      await this.readBack();
    } finally {
      this.polling = false;
    }
  }

  private async readBack(): Promise<void> {
    try {
      const [neighbors, peers, counters] = await this.opts.control.showAll([
        "show bgp vrf all neighbors json",
        "show bfd peers json",
        "show bfd peers counters json",
      ]);
      this.neighbors = parseNeighbors(neighbors);
      this.bfd = parseBfdPeers(peers, counters);
    } catch (err) {
      this.neighbors = [];
      this.bfd = [];
      this.opts.log.debug("cannot read FRR's state", { error: String(err) });
    }
    // FRR restarted without its configuration (or lost part of it): offer it again.
    // At most every 30 s: a session FRR keeps out of its JSON for good (an inactive VRF) must
    // not turn into a reload loop.
    const now = Date.now();
    if (
      this.applied !== undefined &&
      now - this.lastReapply > 30_000 &&
      this.planned.some((s) => !this.stateOf(s))
    ) {
      this.lastReapply = now;
      this.opts.log.warn("FRR runs without some of the configured sessions; applying it again");
      this.applied = undefined;
      this.schedule(0);
    }
    const key = JSON.stringify(this.sessions().map((s) => [s.peer, s.established, s.lastError]));
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.opts.onChange?.();
    }
  }

  private stateOf(s: FrrSession): FrrNeighborState | undefined {
    return this.neighbors.find((n) => n.vrf === s.vrf && n.neighbor === s.neighbor);
  }

  sessions(): BgpSessionFact[] {
    return this.planned.map((s) => {
      const n = this.stateOf(s);
      const established = n?.state === "Established";
      const lastError = n
        ? (n.lastError ?? `state ${n.state}`)
        : "FRR does not run this session yet";
      return {
        peer: s.peer,
        address: n?.address ?? s.neighbor,
        established,
        ...(!established ? { lastError } : {}),
      };
    });
  }

  conditions(): ConditionDraft[] {
    if (this.failure)
      return [
        {
          type: "FRRConfiguration",
          status: "False",
          reason: FAILURE_REASON[this.failure.stage],
          message:
            `${this.failure.message}; the last configuration FRR took keeps running` +
            (this.failure.stage === "check" ? "" : "; retrying"),
        },
      ];
    if (this.applied === undefined) return [];
    return [
      {
        type: "FRRConfiguration",
        status: "True",
        reason: "FRRRunsConfiguration",
        message: "FRR runs the configuration this speaker rendered",
      },
    ];
  }

  /** The sessions and BFD peers as FRR reports them, for the metrics. */
  state(): { neighbors: readonly FrrNeighborState[]; bfd: readonly BfdPeerState[] } {
    return { neighbors: this.neighbors, bfd: this.bfd };
  }

  /** The configuration FRR runs (last applied), for debugging. */
  running(): string | undefined {
    return this.applied;
  }

  /**
   * FRR outlives the speaker (it is its own container): its sessions and routes stay while the
   * speaker restarts, which is graceful restart without the protocol.
   */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.poller);
    return this.reloading ?? Promise.resolve();
  }
}
