// Starts a driver process inside a lab namespace (`ip netns exec <ns> node <script bundled>
// --rpc <socket>`; src/lab/app-bundle.ts) and connects to its RPC socket. Any script that serves RPC on
// the path given by --rpc can be driven this way (the L2 driver here, a full speaker later).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { labProgramCommand } from "../../app-bundle.js";
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

export async function startDriver(
  lab: Lab,
  host: string,
  script: string,
  args: string[] = [],
): Promise<Driver> {
  const name = `driver-${host}-${Date.now()}`;
  const socket = join(lab.dir, `${name}.sock`);
  const proc = lab.spawn(host, name, [
    ...(await labProgramCommand(script)),
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
