// Heartbeats run in a worker thread: a main loop busy for a second must not silence this
// speaker's heartbeats, or its peers declare it dead and take its addresses while it still
// answers. The observer is a heartbeat worker (its own loop keeps time through the stall); the
// observed speaker stalls its main loop with heartbeats first on it, then in a worker.
import { describe, expect, it } from "vitest";
import { ThreadedHeartbeats } from "../../src/runtime/heartbeat/index.js";
import type { PeerEvent } from "../../src/runtime/heartbeat/peers.js";
import { HeartbeatTransport } from "../../src/runtime/heartbeat/transport.js";
import { quietLog } from "./fakes/kube.js";

const KEY = Buffer.from("a heartbeat key of 32 bytes......");
// 400 ms of silence is death: well under the 1 s stall, and well over the scheduling delays a
// worker thread sees on a loaded 2-core machine (the suites run side by side).
const settings = { intervalMs: 50, missed: 8, logLevel: "error" as const };

/** Blocks this thread (and its event loop) for `ms`. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    /* busy */
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Each test takes about 3 s, plus starting two worker threads, which a loaded machine (the
// suites run side by side) can stretch past vitest's default 5 s: the timeout is generous.

/** An observer in a worker, peered with "a" on `port`; what it says of "a". */
async function observer(port: number, aPort: number) {
  const seen: PeerEvent[] = [];
  const o = await ThreadedHeartbeats.start({
    node: "observer",
    keys: [KEY],
    port,
    ...settings,
    log: quietLog,
    onPeer: (e) => seen.push(e),
  });
  o.setPeers([{ node: "a", address: "127.0.0.1", port: aPort }]);
  return { o, seen };
}

describe("heartbeats and a busy main loop", () => {
  it("on the main loop, a 1 s stall silences them: the peer declares this node dead", async () => {
    const { o, seen } = await observer(47_960, 47_961);
    const a = await HeartbeatTransport.start({ node: "a", keys: [KEY], port: 47_961, ...settings });
    a.setPeers([{ node: "observer", address: "127.0.0.1", port: 47_960 }]);
    await wait(500);
    expect(o.state("a")).toBe("alive");
    stall(1000);
    await wait(300);
    a.close();
    await o.leave();
    expect(seen.map((e) => e.state)).toContain("dead");
  }, 30_000);

  it("in a worker thread, they go on through the stall: the peer sees this node alive throughout", async () => {
    const { o, seen } = await observer(47_970, 47_971);
    const a = await ThreadedHeartbeats.start({
      node: "a",
      keys: [KEY],
      port: 47_971,
      ...settings,
      log: quietLog,
    });
    a.setPeers([{ node: "observer", address: "127.0.0.1", port: 47_970 }]);
    await wait(500);
    expect(o.state("a")).toBe("alive");
    stall(1000);
    await wait(300);
    expect(seen.map((e) => e.state)).toEqual(["alive"]);
    expect(a.counters().sent).toBeGreaterThan(20);
    await a.leave();
    await wait(200);
    expect(o.state("a")).toBe("left");
    await o.leave();
  }, 30_000);
});
