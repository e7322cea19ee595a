// The entry point esbuild bundles for the OCI images: the runtime's commands only.
import { isMainThread, workerData } from "node:worker_threads";
import { HEARTBEAT_WORKER, runHeartbeatWorker, type WorkerSettings } from "./heartbeat/index.js";
import { main } from "./cli.js";
import { runProcess } from "./process.js";

// The same program is the heartbeat worker when started as one (heartbeat/threaded.ts).
const heartbeatWorker = isMainThread
  ? undefined
  : (workerData as Record<string, unknown> | null)?.[HEARTBEAT_WORKER];
if (heartbeatWorker) await runHeartbeatWorker(heartbeatWorker as WorkerSettings);
else await runProcess(main);
