// Runs our BGP speaker inside a lab host's namespace (bgp-speaker-child.ts) and drives it:
// peers, routes, stats, and every session event with the time it happened.
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { PeerConfig, Route, SessionEvent, SessionStats } from "../../runtime/bgp/index.js";
import { waitFor, type PipedProcess } from "../../sys/proc.js";
import { labProgramCommand } from "../app-bundle.js";
import type { SpeakerCommand, SpeakerInit } from "./bgp-speaker-child.js";
import type { Lab } from "./lab.js";

export interface TimedEvent {
  event: SessionEvent;
  /** ms since epoch, taken in the speaker process. */
  at: number;
}

export interface LabSpeaker {
  readonly host: string;
  readonly pid: number;
  /** Every session event so far, in order. */
  readonly events: TimedEvent[];
  addPeer(config: PeerConfig): Promise<void>;
  /** Routes for one peer, or for all peers when `peer` is absent. */
  setRoutes(routes: Route[], peer?: string): Promise<void>;
  removePeer(peer: string): Promise<void>;
  stats(): Promise<SessionStats[]>;
  /** Waits for an event matching `match` at index `since` (default 0) or later in `events`. */
  waitForEvent(
    what: string,
    match: (e: SessionEvent) => boolean,
    opts?: { since?: number; timeoutMs?: number },
  ): Promise<TimedEvent>;
  /** A crash: SIGKILL, so no NOTIFICATION is sent and the kernel just closes the sockets. */
  kill(): Promise<void>;
  /** A clean shutdown: Cease/Administrative Shutdown to every peer, then exit. */
  stop(message?: string): Promise<void>;
  log(): string;
}

type CommandBody = SpeakerCommand extends infer C
  ? C extends { id: number }
    ? Omit<C, "id">
    : never
  : never;

const CHILD = fileURLToPath(new URL("./bgp-speaker-child.ts", import.meta.url));

export async function startSpeaker(
  lab: Lab,
  host: string,
  init: SpeakerInit = {},
): Promise<LabSpeaker> {
  const proc: PipedProcess = lab.spawnPiped(host, `bgp-speaker-${host}-${Date.now()}`, [
    ...(await labProgramCommand(CHILD)),
    JSON.stringify(init),
  ]);
  const events: TimedEvent[] = [];
  const replies = new Map<number, (r: { ok: boolean; result?: unknown; error?: string }) => void>();
  let ready = false;
  let nextId = 1;
  createInterface({ input: proc.stdout }).on("line", (line) => {
    const msg = JSON.parse(line) as {
      ready?: boolean;
      event?: SessionEvent;
      at?: number;
      reply?: number;
      ok?: boolean;
      result?: unknown;
      error?: string;
    };
    if (msg.ready) ready = true;
    if (msg.event) events.push({ event: msg.event, at: msg.at ?? Date.now() });
    if (msg.reply !== undefined)
      replies.get(msg.reply)?.({ ok: msg.ok === true, result: msg.result, error: msg.error });
  });
  let exit: number | string | undefined;
  void proc.exited.then((code) => {
    exit = code;
    for (const r of replies.values()) r({ ok: false, error: `speaker exited (${code})` });
    replies.clear();
  });
  await waitFor(
    `BGP speaker in ${host} ready`,
    () => {
      if (exit !== undefined)
        throw new Error(`the speaker process exited (${exit}):\n${proc.log()}`);
      return Promise.resolve(ready ? true : undefined);
    },
    30_000,
    100,
  );
  const call = (cmd: CommandBody): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      replies.set(id, (r) => {
        replies.delete(id);
        if (r.ok) resolve(r.result);
        else reject(new Error(`speaker in ${host}: ${cmd.op} failed: ${r.error}`));
      });
      proc.stdin.write(JSON.stringify({ ...cmd, id }) + "\n");
    });
  return {
    host,
    pid: proc.pid,
    events,
    addPeer: async (config) => void (await call({ op: "addPeer", config })),
    setRoutes: async (routes, peer) =>
      void (await call({ op: "setRoutes", routes, ...(peer !== undefined ? { peer } : {}) })),
    removePeer: async (peer) => void (await call({ op: "removePeer", peer })),
    stats: async () => (await call({ op: "stats" })) as SessionStats[],
    waitForEvent: (what, match, { since = 0, timeoutMs = 60_000 } = {}) =>
      waitFor(
        `${what} (speaker in ${host})`,
        () => Promise.resolve(events.slice(since).find((e) => match(e.event))),
        timeoutMs,
        100,
      ),
    async kill() {
      process.kill(proc.pid, "SIGKILL");
      await proc.exited;
    },
    async stop(message) {
      await call({ op: "stop", ...(message !== undefined ? { message } : {}) }).catch(
        () => undefined,
      );
      await proc.stop();
    },
    log: () => proc.log(),
  };
}
