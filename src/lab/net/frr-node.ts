// FRR beside a lab node's speaker, as the chart's FRR sidecar runs it: zebra, bgpd and bfdd
// sharing the node's network namespace, started with no configuration, and the FRR agent
// (src/runtime/frr-agent/agent.py, the same file the FRR image ships) on a Unix socket the
// speaker is pointed at. Everything the daemons run comes from the speaker, through the agent.
// FRR comes from the host's packages, or from the FRR image's root filesystem, run as the
// chart's sidecar container (its command, volumes and capabilities; see startInRootfs).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, waitFor, type Managed } from "../../sys/proc.js";
import { systemTool } from "../../sys/tools.js";
import { startInRootfs, type Volume } from "../rootfs-container.js";
import type { Lab } from "./lab.js";

export const FRR_AGENT = fileURLToPath(
  new URL("../../runtime/frr-agent/agent.py", import.meta.url),
);

/**
 * FRR as a container of the speaker Pod: an image's root filesystem and what the Pod gives it
 * (command, volumes resolved to host directories, capabilities), as a kubelet would run it.
 */
export interface FrrContainer {
  root: string;
  env: string[];
  argv: string[];
  volumes: Volume[];
  capabilities: string[];
  /** Host paths: the agent's socket (the speaker's --frr-agent-socket) and FRR's vty sockets. */
  agentSocket: string;
  vtyDir: string;
}

export interface FrrNodeOptions {
  /** Run FRR as this container (one per node, each with its own volumes) instead of the host's. */
  container?: (host: string) => FrrContainer;
}

export interface FrrNode {
  host: string;
  /** The agent's socket: the speaker's --frr-agent-socket. */
  socket: string;
  /** /etc/frr of this node (frr.conf is the last configuration FRR took). */
  confDir: string;
  /** vtysh against this node's FRR (the tests read what it runs). */
  vtysh(command: string): Promise<string>;
  stop(): Promise<void>;
}

const DAEMONS = ["zebra", "bfdd", "bgpd"] as const;

export async function startFrrNode(
  lab: Lab,
  host: string,
  opts: FrrNodeOptions = {},
): Promise<FrrNode> {
  if (opts.container) return startFrrContainer(lab, host, opts.container(host));
  const base = join(lab.dir, `frr-node-${host}`);
  const confDir = join(base, "etc");
  const vty = join(base, "run");
  const agentDir = join(base, "agent");
  rmSync(base, { recursive: true, force: true });
  for (const d of [confDir, vty, agentDir]) mkdirSync(d, { recursive: true });
  for (const d of DAEMONS) writeFileSync(join(confDir, `${d}.conf`), "");
  // The daemons drop to the frr user and must reach their files and sockets.
  await run(["chown", "-R", "frr:frr", base]);
  const vtysh = (command: string, only?: string) =>
    run([systemTool("vtysh"), "--vty_socket", vty, ...(only ? ["-d", only] : []), "-c", command]);
  const procs: Managed[] = [];
  for (const d of DAEMONS) {
    procs.push(
      lab.spawn(host, `frr-${d}-${host}`, [
        systemTool(d, ["/usr/lib/frr"]),
        "--vty_socket",
        vty,
        "-z",
        join(vty, "zserv.api"),
        "-i",
        join(vty, `${d}.pid`),
        "-f",
        join(confDir, `${d}.conf`),
      ]),
    );
    // bgpd and bfdd need zebra's interface data before their first session.
    await waitFor(`FRR ${d} in ${host}`, () => vtysh("show version", d), 20_000);
  }
  const socket = join(agentDir, "agent.sock");
  procs.push(
    lab.spawn(host, `frr-agent-${host}`, [
      "python3",
      FRR_AGENT,
      "--socket",
      socket,
      "--confdir",
      confDir,
      "--vty-socket",
      vty,
      "--rundir",
      agentDir,
      "--vtysh",
      systemTool("vtysh"),
    ]),
  );
  await waitFor(
    `the FRR agent in ${host}`,
    () => run(["test", "-S", socket]).then(() => true),
    20_000,
  );
  return {
    host,
    socket,
    confDir,
    vtysh: (command) => vtysh(command),
    async stop() {
      for (const p of procs.reverse()) await p.stop();
    },
  };
}

/**
 * FRR in its container. The tests reach FRR with the host's vtysh through the vty socket
 * directory, as `kubectl exec … vtysh` would.
 */
async function startFrrContainer(lab: Lab, host: string, c: FrrContainer): Promise<FrrNode> {
  const proc = lab.adopt(
    await startInRootfs({
      name: `frr-container-${host}`,
      root: c.root,
      env: c.env,
      capabilities: c.capabilities,
      volumes: c.volumes,
      netns: lab.ns(host),
      argv: c.argv,
      logFile: join(lab.dir, `frr-container-${host}.log`),
    }),
  );
  await waitFor(
    `the FRR container's agent in ${host}`,
    async () => {
      if (proc.log().includes("FRR agent listening")) return true;
      const done = await Promise.race([proc.exited, Promise.resolve(undefined)]);
      if (done !== undefined) throw new Error(`the FRR container exited (${done}):\n${proc.log()}`);
      return undefined;
    },
    30_000,
  );
  const confDir = c.volumes.find((v) => v.at === "/etc/frr")?.source;
  if (!confDir) throw new Error(`the FRR container of ${host} has no volume at /etc/frr`);
  return {
    host,
    socket: c.agentSocket,
    confDir,
    vtysh: (command) => run([systemTool("vtysh"), "--vty_socket", c.vtyDir, "-c", command]),
    stop: () => proc.stop(),
  };
}
