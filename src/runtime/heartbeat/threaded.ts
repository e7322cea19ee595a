// The main thread's side of the heartbeat worker (worker.ts): starts it, forwards peers and
// keys, and mirrors its verdicts and counters so the speaker can read them without waiting.
import { Worker } from "node:worker_threads";
import type { Logger } from "../log.js";
import type { PeerEvent, PeerState } from "./peers.js";
import type { HeartbeatCounters, HeartbeatPeer } from "./transport.js";
import type { FromWorker, ToWorker, WorkerSettings } from "./worker.js";

/** workerData key under which a process finds it is to be the heartbeat worker. */
export const HEARTBEAT_WORKER = "metallbTsHeartbeatWorker";

export interface ThreadedOptions extends WorkerSettings {
  /**
   * The script the worker runs; it starts runHeartbeatWorker when it sees its workerData.
   * Default: this program itself — the image's bundle, or bin/metallb-ts.js in a checkout
   * (which loads the TypeScript sources).
   */
  entry?: string | URL;
  log: Logger;
  onPeer?: (event: PeerEvent) => void;
}

/** The bundle when running as one; from sources, the checkout's bin (it loads them with tsx). */
function ownEntry(): URL {
  const here = new URL(import.meta.url);
  return here.pathname.endsWith(".ts") ? new URL("../../../bin/metallb-ts.js", here) : here;
}

const ZERO: HeartbeatCounters = {
  sent: 0,
  sendErrors: 0,
  received: 0,
  accepted: 0,
  acceptedOtherKey: 0,
  dropped: { malformed: 0, version: 0, auth: 0, replay: 0, skew: 0, self: 0 },
};

export class ThreadedHeartbeats {
  private readonly states = new Map<string, PeerState>();
  private latest: HeartbeatCounters = ZERO;
  private left: (() => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly opts: ThreadedOptions,
  ) {}

  static start(opts: ThreadedOptions): Promise<ThreadedHeartbeats> {
    const settings: WorkerSettings = {
      node: opts.node,
      keys: opts.keys,
      port: opts.port,
      intervalMs: opts.intervalMs,
      missed: opts.missed,
      logLevel: opts.logLevel,
    };
    const entry = opts.entry;
    const worker = new Worker(entry ?? ownEntry(), {
      workerData: { [HEARTBEAT_WORKER]: settings },
    });
    const h = new ThreadedHeartbeats(worker, opts);
    return new Promise((resolve, reject) => {
      worker.on("error", (err) => {
        opts.log.error("the heartbeat worker failed", { error: err.message });
        reject(err);
      });
      worker.on("message", (m: FromWorker) => {
        if (m.t === "ready") resolve(h);
        else if (m.t === "failed") {
          opts.log.error("heartbeats", { error: m.message });
          reject(new Error(m.message));
        } else h.handle(m);
      });
    });
  }

  private handle(m: FromWorker): void {
    if (m.t === "peer") {
      this.states.set(m.node, m.state);
      this.opts.onPeer?.({ node: m.node, state: m.state });
    } else if (m.t === "counters") this.latest = m.counters;
    else if (m.t === "left") this.left?.();
  }

  private send(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  state(node: string): PeerState | undefined {
    return this.states.get(node);
  }

  alive(): string[] {
    return [...this.states]
      .filter(([, s]) => s === "alive")
      .map(([n]) => n)
      .sort();
  }

  setPeers(peers: readonly HeartbeatPeer[]): void {
    const listed = new Set(peers.map((p) => p.node));
    for (const n of this.states.keys()) if (!listed.has(n)) this.states.delete(n);
    this.send({ t: "peers", peers: [...peers] });
  }

  setKeys(keys: readonly Uint8Array[]): void {
    this.send({ t: "keys", keys: [...keys] });
  }

  forget(node: string): void {
    this.states.delete(node);
    this.send({ t: "forget", node });
  }

  counters(): HeartbeatCounters {
    return this.latest;
  }

  /** Tells every peer this node is leaving, then ends the worker. */
  async leave(): Promise<void> {
    await Promise.race([
      new Promise<void>((r) => {
        this.left = r;
        this.send({ t: "leave" });
      }),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    await this.worker.terminate();
  }
}
