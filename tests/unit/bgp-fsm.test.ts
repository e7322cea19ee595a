// The pure RFC 4271 FSM: transitions, timers, errors, collision resolution (§6.8), backoff,
// and invariants over random event sequences.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodedMessage } from "../../src/runtime/bgp/codec/message.js";
import type { OpenMessage } from "../../src/runtime/bgp/codec/open.js";
import { BgpError } from "../../src/runtime/bgp/errors.js";
import {
  backoffMs,
  initialFsm,
  step,
  visibleState,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
} from "../../src/runtime/bgp/fsm.js";

const CFG: FsmConfig = {
  localAsn: 64512,
  peerAsn: 64513,
  routerId: "192.0.2.10",
  holdTime: 90,
  families: [4],
  passive: false,
  connectRetry: { initialMs: 1000, maxMs: 16_000 },
  openHoldMs: 240_000,
};

const half = () => 0.5;

/** Runs events from a state; returns the final state and every action, in order. */
function run(events: FsmEvent[], from: FsmState = initialFsm(), cfg = CFG) {
  let state = from;
  const actions: FsmAction[] = [];
  for (const e of events) {
    const r = step(cfg, state, e, half);
    state = r.state;
    actions.push(...r.actions);
  }
  return { state, actions };
}

const peerOpen = (bgpId = 0xc0000201, holdTime = 9): DecodedMessage => ({
  type: "open",
  version: 4,
  myAs: 64513,
  holdTime,
  bgpId,
  capabilities: [{ kind: "fourOctetAs", asn: 64513 }],
});
const msg = (conn: number, message: DecodedMessage): FsmEvent => ({
  type: "message",
  conn,
  message,
});
const keepalive = (conn: number) => msg(conn, { type: "keepalive" });
const UPDATE: DecodedMessage = {
  type: "update",
  message: { type: "update", withdrawn: [], attributes: [], nlri: [] },
  verdict: "accept",
  problems: [],
};

const ESTABLISHED: FsmEvent[] = [
  { type: "start" },
  { type: "tcpConnected", conn: 1 },
  msg(1, peerOpen()),
  keepalive(1),
];

const sent = (actions: FsmAction[]) =>
  actions.flatMap((a) =>
    a.type === "send"
      ? [
          a.message.type === "notification"
            ? `notification ${a.message.code}/${a.message.subcode}`
            : a.message.type,
        ]
      : [],
  );
const timers = (actions: FsmAction[]) =>
  actions.flatMap((a) => (a.type === "setTimer" ? [`${a.timer}=${a.ms}`] : []));

describe("BGP FSM: the way up", () => {
  it("start connects and bounds the attempt with the connect-retry timer", () => {
    const { state, actions } = run([{ type: "start" }]);
    expect(visibleState(state)).toBe("Connect");
    expect(actions).toEqual([
      { type: "connect", conn: 1 },
      { type: "setTimer", timer: "connectRetry", ms: 875 },
    ]);
  });

  it("passive: waits in Active and never connects", () => {
    const { state, actions } = run(
      [{ type: "start" }, { type: "timer", timer: "connectRetry" }],
      initialFsm(),
      {
        ...CFG,
        passive: true,
      },
    );
    expect(visibleState(state)).toBe("Active");
    expect(actions).toEqual([]);
  });

  it("TCP up → OPEN sent with the large OpenSent hold timer", () => {
    const { state, actions } = run(ESTABLISHED.slice(0, 2));
    expect(visibleState(state)).toBe("OpenSent");
    expect(sent(actions)).toEqual(["open"]);
    expect(timers(actions)).toContain("hold/1=240000");
  });

  it("peer OPEN → KEEPALIVE, OpenConfirm, negotiated hold and keepalive timers", () => {
    const { state, actions } = run(ESTABLISHED.slice(0, 3));
    expect(visibleState(state)).toBe("OpenConfirm");
    expect(sent(actions)).toEqual(["open", "keepalive"]);
    expect(timers(actions).slice(-2)).toEqual(["hold/1=9000", "keepalive/1=3000"]);
  });

  it("peer KEEPALIVE → Established, once", () => {
    const { state, actions } = run(ESTABLISHED);
    expect(visibleState(state)).toBe("Established");
    expect(actions.filter((a) => a.type === "established")).toMatchObject([
      { conn: 1, negotiated: { holdTime: 9, peerAsn: 64513 } },
    ]);
    expect(state.restarting).toBe(false);
  });

  it("hold time 0 on either side: no hold timer, no keepalives", () => {
    const { actions } = run([
      { type: "start" },
      { type: "tcpConnected", conn: 1 },
      msg(1, peerOpen(0xc0000201, 0)),
      keepalive(1),
    ]);
    expect(timers(actions).filter((t) => t.startsWith("keepalive") || t === "hold/1=0")).toEqual(
      [],
    );
    expect(actions).toContainEqual({ type: "clearTimer", timer: "hold/1" });
  });

  it("Established: keepalive timer sends KEEPALIVE and re-arms; messages re-arm the hold timer", () => {
    const up = run(ESTABLISHED).state;
    expect(run([{ type: "timer", timer: "keepalive/1" }], up).actions).toEqual([
      { type: "send", conn: 1, message: { type: "keepalive" } },
      { type: "setTimer", timer: "keepalive/1", ms: 3000 },
    ]);
    const u = run([msg(1, UPDATE)], up);
    expect(u.actions).toEqual([
      { type: "setTimer", timer: "hold/1", ms: 9000 },
      { type: "update", conn: 1, update: UPDATE },
    ]);
    const rr = run([msg(1, { type: "routeRefresh", afi: 1, safi: 1, subtype: 0 })], up);
    expect(rr.actions).toContainEqual({ type: "routeRefresh", conn: 1, afi: 1, safi: 1 });
  });
});

describe("BGP FSM: the way down", () => {
  const up = run(ESTABLISHED).state;

  it("hold timer expiry: NOTIFICATION 4/0, close, down, Idle with a backoff", () => {
    const { state, actions } = run([{ type: "timer", timer: "hold/1" }], up);
    expect(sent(actions)).toEqual(["notification 4/0"]);
    expect(actions).toContainEqual({ type: "close", conn: 1 });
    expect(actions.find((a) => a.type === "down")).toMatchObject({
      reason: expect.stringContaining("Hold Timer Expired") as string,
    });
    expect(visibleState(state)).toBe("Idle");
    expect(timers(actions)).toEqual(["idleHold=1750"]);
    const again = run([{ type: "timer", timer: "idleHold" }], state);
    expect(again.actions[0]).toEqual({ type: "connect", conn: 2 });
  });

  it("NOTIFICATION from the peer: close without answering", () => {
    const { actions } = run(
      [msg(1, { type: "notification", code: 6, subcode: 2, data: Buffer.alloc(0) })],
      up,
    );
    expect(sent(actions)).toEqual([]);
    expect(actions.find((a) => a.type === "down")).toMatchObject({
      reason: "received NOTIFICATION Cease / Administrative Shutdown (6/2)",
    });
  });

  it("TCP closed by the peer", () => {
    const { state, actions } = run(
      [{ type: "tcpClosed", conn: 1, reason: "connection closed by the peer" }],
      up,
    );
    expect(actions).toContainEqual({ type: "down", reason: "connection closed by the peer" });
    expect(visibleState(state)).toBe("Idle");
  });

  it.each<[string, FsmEvent[], string]>([
    [
      "UPDATE in OpenSent",
      [{ type: "start" }, { type: "tcpConnected", conn: 1 }, msg(1, UPDATE)],
      "notification 5/1",
    ],
    [
      "KEEPALIVE in OpenSent",
      [{ type: "start" }, { type: "tcpConnected", conn: 1 }, keepalive(1)],
      "notification 5/1",
    ],
    ["UPDATE in OpenConfirm", [...ESTABLISHED.slice(0, 3), msg(1, UPDATE)], "notification 5/2"],
    ["OPEN in Established", [...ESTABLISHED, msg(1, peerOpen())], "notification 5/3"],
    [
      "an unacceptable OPEN",
      [{ type: "start" }, { type: "tcpConnected", conn: 1 }, msg(1, peerOpen(0))],
      "notification 2/3",
    ],
    [
      "a decode error",
      [...ESTABLISHED, { type: "decodeError", conn: 1, error: new BgpError(3, 1, "broken") }],
      "notification 3/1",
    ],
  ])("%s → NOTIFICATION and Idle", (_name, events, notification) => {
    const { state, actions } = run(events);
    expect(sent(actions).at(-1)).toBe(notification);
    expect(visibleState(state)).toBe("Idle");
  });

  it("stop: Cease/Administrative Shutdown with the message, no retry", () => {
    const { state, actions } = run([{ type: "stop", subcode: 2, message: "bye" }], up);
    const notification = actions.find((a) => a.type === "send");
    expect(notification).toMatchObject({ message: { type: "notification", code: 6, subcode: 2 } });
    expect(
      notification?.type === "send" &&
        notification.message.type === "notification" &&
        notification.message.data.toString(),
    ).toBe("\u0003bye");
    expect(state.running).toBe(false);
    expect(timers(actions)).toEqual([]);
    expect(run([{ type: "tcpIncoming" }], state).actions).toEqual([
      { type: "refuse", reason: "the session is stopped" },
    ]);
  });
});

describe("BGP FSM: connecting and backing off", () => {
  it("a failed connect waits in Active; retries back off exponentially up to the cap", () => {
    let state = run([{ type: "start" }]).state;
    const delays: number[] = [];
    for (let conn = 1; conn <= 7; conn++) {
      const failed = run([{ type: "tcpClosed", conn, reason: "refused" }], state);
      expect(visibleState(failed.state)).toBe("Active");
      delays.push(Number(timers(failed.actions)[0]?.split("=")[1]));
      state = run([{ type: "timer", timer: "connectRetry" }], failed.state).state;
    }
    expect(delays).toEqual([1750, 3500, 7000, 14000, 14000, 14000, 14000]);
  });

  it("an attempt that never completes is abandoned at the connect-retry timer", () => {
    const { state, actions } = run([{ type: "start" }, { type: "timer", timer: "connectRetry" }]);
    expect(actions.filter((a) => a.type === "connect" || a.type === "close")).toEqual([
      { type: "connect", conn: 1 },
      { type: "close", conn: 1 },
      { type: "connect", conn: 2 },
    ]);
    expect(state.attempts).toBe(1);
  });

  it("backoff stays within [0.75, 1] of the doubled delay, capped", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const d = backoffMs(n, CFG.connectRetry, () => r);
          const base = Math.min(1000 * 2 ** n, 16_000);
          expect(d).toBeGreaterThanOrEqual(Math.floor(0.75 * base));
          expect(d).toBeLessThanOrEqual(base);
        },
      ),
    );
  });

  it("incoming connections are refused while idle and while established", () => {
    const idle = run([...ESTABLISHED, { type: "timer", timer: "hold/1" }]).state;
    expect(run([{ type: "tcpIncoming" }], idle).actions).toEqual([
      { type: "refuse", reason: "the session is idle (backing off)" },
    ]);
    const up = run(ESTABLISHED).state;
    expect(run([{ type: "tcpIncoming" }], up).actions[0]).toMatchObject({ type: "refuse" });
  });
});

describe("BGP FSM: connection collision (RFC 4271 §6.8)", () => {
  // Our outbound connection 1 reaches OpenConfirm; the peer's inbound connection 2 then sends its OPEN.
  const collide = (peerId: number) =>
    run([
      { type: "start" },
      { type: "tcpConnected", conn: 1 },
      { type: "tcpIncoming" },
      msg(1, peerOpen(peerId)),
      msg(2, peerOpen(peerId)),
    ]);

  it("our identifier is higher: the peer's connection is closed with Cease/7", () => {
    const { state, actions } = collide(0xc0000201); // 192.0.2.1 < 192.0.2.10
    expect(actions).toContainEqual({ type: "collision", kept: 1, dropped: 2 });
    expect(actions).toContainEqual({
      type: "send",
      conn: 2,
      message: { type: "notification", code: 6, subcode: 7, data: Buffer.alloc(0) },
    });
    expect(state.conns.map((c) => [c.id, c.state])).toEqual([[1, "OpenConfirm"]]);
    expect(visibleState(run([keepalive(1)], state).state)).toBe("Established");
  });

  it("the peer's identifier is higher: our connection gives way", () => {
    const { state, actions } = collide(0xc0000264); // 192.0.2.100 > 192.0.2.10
    expect(actions).toContainEqual({ type: "collision", kept: 2, dropped: 1 });
    expect(state.conns.map((c) => [c.id, c.inbound, c.state])).toEqual([[2, true, "OpenConfirm"]]);
  });

  it("an OPEN on a second connection while one is Established closes the new one", () => {
    const up = run([...ESTABLISHED]).state;
    const withIncoming = run([{ type: "start" }], {
      ...up,
      conns: [...up.conns, { id: 9, inbound: true, state: "OpenSent" }],
    });
    const { state, actions } = run([msg(9, peerOpen(0xc0000264))], withIncoming.state);
    expect(actions).toContainEqual({ type: "collision", kept: 1, dropped: 9 });
    expect(state.conns.map((c) => c.id)).toEqual([1]);
  });
});

describe("BGP FSM invariants over random event sequences", () => {
  const eventArb: fc.Arbitrary<FsmEvent> = fc.oneof(
    fc.constant({ type: "start" as const }),
    fc.constant({ type: "stop" as const, subcode: 2 }),
    fc.constant({ type: "tcpIncoming" as const }),
    fc
      .constantFrom("idleHold", "connectRetry")
      .map((t) => ({ type: "timer" as const, timer: t as "idleHold" })),
    fc.integer({ min: 1, max: 6 }).chain((conn) =>
      fc.oneof(
        fc.constant({ type: "tcpConnected" as const, conn }),
        fc.constant({ type: "tcpClosed" as const, conn, reason: "x" }),
        fc
          .constantFrom("hold", "keepalive")
          .map((k) => ({ type: "timer" as const, timer: `${k}/${conn}` as `hold/${number}` })),
        fc
          .constantFrom<DecodedMessage>(
            peerOpen(0xc0000201),
            peerOpen(0xc0000264),
            { type: "keepalive" },
            UPDATE,
            { type: "notification", code: 6, subcode: 4, data: Buffer.alloc(0) },
          )
          .map((m) => msg(conn, m as OpenMessage)),
      ),
    ),
  );

  it("at most one connection per direction, at most one Established, up/down alternate", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), fc.boolean(), (events, passive) => {
        let state = initialFsm();
        let up = false;
        for (const e of events) {
          const r = step({ ...CFG, passive }, state, e, half);
          state = r.state;
          for (const a of r.actions) {
            if (a.type === "established") {
              expect(up).toBe(false);
              up = true;
            }
            if (a.type === "down") {
              expect(up).toBe(true);
              up = false;
            }
            if (a.type === "connect") expect(passive).toBe(false);
          }
          expect(state.conns.filter((c) => c.inbound).length).toBeLessThanOrEqual(1);
          expect(state.conns.filter((c) => !c.inbound).length).toBeLessThanOrEqual(1);
          expect(state.conns.filter((c) => c.state === "Established").length).toBeLessThanOrEqual(
            1,
          );
          expect(visibleState(state) === "Established").toBe(up);
        }
      }),
      { numRuns: 500 },
    );
  });
});
