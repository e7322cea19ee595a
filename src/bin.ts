// The process bin/metallb-ts.js runs (through tsx) in a checkout.
import { isMainThread, workerData } from "node:worker_threads";
import {
  HEARTBEAT_WORKER,
  runHeartbeatWorker,
  type WorkerSettings,
} from "./runtime/heartbeat/index.js";
import { main } from "./cli.js";
import { runProcess } from "./runtime/process.js";

// The same program is the heartbeat worker when started as one (heartbeat/threaded.ts).
const heartbeatWorker = isMainThread
  ? undefined
  : (workerData as Record<string, unknown> | null)?.[HEARTBEAT_WORKER];
if (heartbeatWorker) await runHeartbeatWorker(heartbeatWorker as WorkerSettings);
else await runProcess(main);
