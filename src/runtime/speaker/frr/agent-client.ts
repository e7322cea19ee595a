// The speaker's end of the FRR agent's socket (src/runtime/frr-agent/agent.py): one JSON line
// out, one back. Narrow on purpose: the FRR driver needs to apply a configuration and to read
// what FRR runs, nothing else.
import { createConnection } from "node:net";

export type ReloadStage = "check" | "reload" | "agent";

export type ReloadResult =
  /** incremental: FRR took only added lines through vtysh, without frr-reload.py's full diff. */
  | { ok: true; ms: number; incremental?: boolean }
  | { ok: false; stage: ReloadStage; message: string };

export interface FrrControl {
  reload(config: string): Promise<ReloadResult>;
  /** The outputs of `show … json` commands, parsed (one vtysh run for all of them). */
  showAll(commands: string[]): Promise<unknown[]>;
}

function request(
  socket: string,
  body: object,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    let data = "";
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`the FRR agent at ${socket} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding("utf8");
    conn.on("data", (chunk: string) => {
      data += chunk;
    });
    conn.on("error", (err) => {
      clearTimeout(timer);
      reject(
        new Error(
          `cannot reach the FRR agent at ${socket}: ${err.message}; is the FRR container running?`,
        ),
      );
    });
    conn.on("end", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(data) as Record<string, unknown>);
      } catch {
        reject(new Error(`the FRR agent at ${socket} answered no JSON: ${data.slice(0, 200)}`));
      }
    });
    conn.end(`${JSON.stringify(body)}\n`);
  });
}

export class FrrAgentClient implements FrrControl {
  constructor(private readonly socket: string) {}

  async reload(config: string): Promise<ReloadResult> {
    try {
      const a = await request(this.socket, { op: "reload", config }, 180_000);
      if (a.ok === true)
        return { ok: true, ms: Number(a.ms ?? 0), incremental: a.incremental === true };
      const stage = a.stage === "check" || a.stage === "reload" ? a.stage : "agent";
      return {
        ok: false,
        stage,
        message: typeof a.message === "string" ? a.message : "the agent gave no message",
      };
    } catch (err) {
      return { ok: false, stage: "agent", message: (err as Error).message };
    }
  }

  async showAll(commands: string[]): Promise<unknown[]> {
    const a = await request(this.socket, { op: "show", commands }, 30_000);
    const message = typeof a.message === "string" ? a.message : "";
    if (a.ok !== true || !Array.isArray(a.values) || a.values.length !== commands.length)
      throw new Error(`FRR refused "${commands.join('", "')}": ${message}`);
    return a.values as unknown[];
  }

  /** One `show … json` command's output, parsed. */
  async show(command: string): Promise<unknown> {
    return (await this.showAll([command]))[0];
  }
}
