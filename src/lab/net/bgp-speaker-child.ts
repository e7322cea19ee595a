// The native BGP speaker as a process inside a lab namespace (a Node process cannot enter a
// namespace itself, so `ip netns exec <ns> node … bgp-speaker-child.ts '<init>'` runs this).
// It takes JSON-line commands on stdin and writes JSON-line replies and session events on
// stdout; its logs go to stderr. bgp-speaker.ts is the other end.
import { createInterface } from "node:readline";
import { makeLogger } from "../../runtime/log.js";
import { BgpSpeaker, type PeerConfig, type Route } from "../../runtime/bgp/index.js";
import { seededRandom } from "../random.js";

export interface SpeakerInit {
  listen?: { port: number; host?: string };
  /** Seeds the backoff jitter, so that retry delays are reproducible. */
  seed?: number;
}

export type SpeakerCommand =
  | { id: number; op: "addPeer"; config: PeerConfig }
  | { id: number; op: "setRoutes"; routes: Route[]; peer?: string }
  | { id: number; op: "removePeer"; peer: string }
  | { id: number; op: "stats" }
  | { id: number; op: "stop"; message?: string };

const write = (line: unknown) => process.stdout.write(JSON.stringify(line) + "\n");

async function main(): Promise<void> {
  const init = JSON.parse(process.argv[2] ?? "{}") as SpeakerInit;
  const speaker = new BgpSpeaker({
    log: makeLogger("bgp-speaker", "debug"),
    ...(init.listen ? { listen: init.listen } : {}),
    ...(init.seed !== undefined ? { random: seededRandom(init.seed) } : {}),
  });
  speaker.onEvent((event) => write({ event, at: Date.now() }));
  await speaker.start();
  write({ ready: true });
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const cmd = JSON.parse(line) as SpeakerCommand;
    try {
      let result: unknown = null;
      switch (cmd.op) {
        case "addPeer":
          speaker.addPeer(cmd.config);
          break;
        case "setRoutes": {
          const target = cmd.peer === undefined ? undefined : speaker.peer(cmd.peer);
          if (cmd.peer !== undefined && !target) throw new Error(`no peer ${cmd.peer}`);
          if (target) target.setRoutes(cmd.routes);
          else speaker.setRoutes(cmd.routes);
          break;
        }
        case "removePeer":
          await speaker.removePeer(cmd.peer);
          break;
        case "stats":
          result = speaker.stats();
          break;
        case "stop":
          await speaker.stop(cmd.message);
          write({ reply: cmd.id, ok: true, result });
          process.exit(0);
      }
      write({ reply: cmd.id, ok: true, result });
    } catch (err) {
      write({ reply: cmd.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
}

await main();
