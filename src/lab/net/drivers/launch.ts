// Starts a TypeScript driver process inside a lab namespace (`ip netns exec <ns> node --import
// tsx <script> --rpc <socket>`) and connects to its RPC socket. Any script that serves RPC on
// the path given by --rpc can be driven this way (the L2 driver here, a full speaker later).
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { waitFor, type Managed } from "../../../sys/proc.js";
import { RpcClient } from "../../rpc.js";
import type { Lab } from "../lab.js";

export interface Driver {
  host: string;
  proc: Managed;
  rpc: RpcClient;
  /** Unix time (ms) just before a signal was sent by kill(). */
  kill(signal: "SIGKILL" | "SIGTERM"): number;
}

/** The L2 driver: announcers, probes, heartbeats and fault injection in one namespace. */
export const L2_NODE_DRIVER = fileURLToPath(new URL("./l2-node.ts", import.meta.url));

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export async function startDriver(
  lab: Lab,
  host: string,
  script: string,
  args: string[] = [],
): Promise<Driver> {
  const name = `driver-${host}-${Date.now()}`;
  const socket = join(lab.dir, `${name}.sock`);
  const proc = lab.spawn(host, name, [
    process.execPath,
    "--import",
    tsxLoader,
    script,
    "--rpc",
    socket,
    ...args,
  ]);
  let exited = false;
  void proc.exited.then(() => (exited = true));
  const rpc = await waitFor(
    `driver ${script} in ${host} to listen on ${socket} (log: ${proc.logFile})`,
    async () => {
      if (exited) throw new Error(`driver exited:\n${proc.log()}`);
      return RpcClient.connect(socket).catch(() => undefined);
    },
    30_000,
    100,
  );
  return {
    host,
    proc,
    rpc,
    kill(signal) {
      const at = Date.now();
      process.kill(proc.pid, signal);
      return at;
    },
  };
}
