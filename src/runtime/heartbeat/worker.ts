// The heartbeats in a worker thread: sending, receiving and the failure verdicts run on their
// own event loop, so a busy main loop (a large election, an API burst, a frame flood) cannot
// delay them past the detection window — neither the heartbeats this speaker sends nor its
// verdicts on the others. The main thread holds a mirror of the verdicts (threaded.ts).
import { parentPort } from "node:worker_threads";
import { makeLogger, type LogLevel } from "../log.js";
import type { PeerState } from "./peers.js";
import { HeartbeatTransport, type HeartbeatCounters, type HeartbeatPeer } from "./transport.js";

/** What the main thread hands the worker (workerData.heartbeatWorker). */
export interface WorkerSettings {
  node: string;
  keys: Uint8Array[];
  port: number;
  intervalMs: number;
  missed: number;
  logLevel: LogLevel;
}

export type ToWorker =
  | { t: "peers"; peers: HeartbeatPeer[] }
  | { t: "keys"; keys: Uint8Array[] }
  | { t: "forget"; node: string }
  | { t: "leave" };

export type FromWorker =
  | { t: "ready" }
  | { t: "failed"; message: string }
  | { t: "peer"; node: string; state: PeerState }
  | { t: "counters"; counters: HeartbeatCounters }
  | { t: "left" };

/** How often the worker tells the main thread its counters (metrics). */
const COUNTERS_MS = 500;

export async function runHeartbeatWorker(settings: WorkerSettings): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("runHeartbeatWorker runs in a worker thread");
  const post = (m: FromWorker) => port.postMessage(m);
  let transport: HeartbeatTransport;
  try {
    transport = await HeartbeatTransport.start({
      node: settings.node,
      keys: settings.keys,
      port: settings.port,
      intervalMs: settings.intervalMs,
      missed: settings.missed,
      log: makeLogger("speaker-heartbeats", settings.logLevel),
      onPeer: (e) => post({ t: "peer", node: e.node, state: e.state }),
    });
  } catch (err) {
    post({ t: "failed", message: (err as Error).message });
    return;
  }
  const counters = setInterval(
    () => post({ t: "counters", counters: transport.counters() }),
    COUNTERS_MS,
  );
  port.on("message", (m: ToWorker) => {
    try {
      if (m.t === "peers") transport.setPeers(m.peers);
      else if (m.t === "keys") transport.setKeys(m.keys);
      else if (m.t === "forget") transport.table.forget(m.node);
      else if (m.t === "leave")
        void transport.leave().then(() => {
          clearInterval(counters);
          post({ t: "left" });
          port.close();
        });
    } catch (err) {
      post({ t: "failed", message: (err as Error).message });
    }
  });
  post({ t: "ready" });
}
