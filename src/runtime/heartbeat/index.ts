// The heartbeat library's public surface (see docs/speaker.md): authenticated UDP heartbeats
// between speakers and the table of which peers are alive. It knows nothing of Kubernetes; the
// speaker tells it where its peers are.
export {
  HeartbeatTransport,
  type HeartbeatCounters,
  type HeartbeatOptions,
  type HeartbeatPeer,
} from "./transport.js";
export type { PeerEvent, PeerState } from "./peers.js";
export { KeyWatcher, readKeys } from "./keys.js";
export { HEARTBEAT_WORKER, ThreadedHeartbeats, type ThreadedOptions } from "./threaded.js";
export { runHeartbeatWorker, type WorkerSettings } from "./worker.js";
