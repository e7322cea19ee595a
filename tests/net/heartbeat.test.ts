// Heartbeats between speakers in separate namespaces: a killed peer is declared dead after the
// configured silence, a SIGTERMed one is gone at once, and forged or replayed datagrams count
// as drops without touching the membership.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab, type Topology } from "../../src/lab/net/index.js";
import { L2_NODE_DRIVER, startDriver, type Driver } from "../../src/lab/net/drivers/launch.js";
import { waitFor } from "../../src/sys/proc.js";
import { encodeHeartbeat } from "../../src/runtime/heartbeat/codec.js";
import type { HeartbeatCounters } from "../../src/runtime/heartbeat/transport.js";

const KEY = "5f1e0c3a9b7d2e4f6a8c0b1d3e5f7a9c5f1e0c3a9b7d2e4f6a8c0b1d3e5f7a9c";
const PORT = 7946;
const INTERVAL = 100;
const MISSED = 3;
const nodes = ["n1", "n2", "n3"] as const;
const address = (h: string) => `192.0.2.${11 + nodes.indexOf(h as (typeof nodes)[number])}`;

const topology: Topology = {
  segments: ["lan"],
  hosts: [
    ...nodes.map((n) => ({
      name: n,
      links: [{ segment: "lan", addresses: [`${address(n)}/24`] }],
    })),
    { name: "client", links: [{ segment: "lan", addresses: ["192.0.2.2/24"] }] },
  ],
};

interface PeerEventAt {
  t: number;
  node: string;
  state: string;
}

let lab: Lab;
const d: Record<string, Driver> = {};
const events = (h: string) => d[h]!.rpc.call<PeerEventAt[]>("heartbeatEvents");
const alive = (h: string) => d[h]!.rpc.call<string[]>("alive");

beforeAll(async () => {
  lab = await Lab.create(topology);
  for (const h of [...nodes, "client"]) d[h] = await startDriver(lab, h, L2_NODE_DRIVER);
  for (const h of nodes) {
    await d[h]!.rpc.call("heartbeatStart", {
      node: h,
      keyHex: KEY,
      port: PORT,
      intervalMs: INTERVAL,
      missed: MISSED,
    });
  }
  for (const h of nodes)
    await d[h]!.rpc.call("heartbeatPeers", {
      peers: nodes.map((n) => ({ node: n, address: address(n) })),
    });
});

afterAll(async () => {
  for (const drv of Object.values(d)) drv.rpc.close();
  await lab?.destroy();
});

describe("heartbeats between namespaces", () => {
  it("every speaker sees the others alive", async () => {
    for (const h of nodes)
      await waitFor(
        `${h} to see both peers`,
        async () => ((await alive(h)).length === 2 ? true : undefined),
        5000,
        50,
      );
    expect(await alive("n1")).toEqual(["n2", "n3"]);
  });

  it("forged, foreign-keyed, replayed and skewed datagrams are dropped and counted", async () => {
    const before = await d.n1!.rpc.call<HeartbeatCounters>("heartbeatCounters");
    const now = BigInt(Date.now());
    const genuine = encodeHeartbeat(
      { node: "ghost", incarnation: 1n, seq: 7n, sentAtMs: now, leaving: false },
      Buffer.from(KEY, "hex"),
    );
    const datagrams = [
      Buffer.from("not a heartbeat at all"),
      encodeHeartbeat(
        { node: "ghost", incarnation: 1n, seq: 1n, sentAtMs: now, leaving: false },
        Buffer.from("another cluster's key, 32 bytes."),
      ),
      genuine,
      genuine, // replayed
      encodeHeartbeat(
        { node: "ghost", incarnation: 1n, seq: 9n, sentAtMs: now - 60_000n, leaving: false },
        Buffer.from(KEY, "hex"),
      ),
    ];
    for (const b of datagrams)
      await d.client!.rpc.call("sendDatagram", {
        address: address("n1"),
        port: PORT,
        hex: b.toString("hex"),
      });
    const after = await waitFor(
      "n1 to count the injected datagrams",
      async () => {
        const c = await d.n1!.rpc.call<HeartbeatCounters>("heartbeatCounters");
        const dropped = (k: keyof HeartbeatCounters["dropped"]) => c.dropped[k] - before.dropped[k];
        return dropped("skew") >= 1 ? c : undefined;
      },
      5000,
      50,
    );
    const delta = (k: keyof HeartbeatCounters["dropped"]) => after.dropped[k] - before.dropped[k];
    expect({
      malformed: delta("malformed"),
      auth: delta("auth"),
      replay: delta("replay"),
      skew: delta("skew"),
    }).toEqual({ malformed: 1, auth: 1, replay: 1, skew: 1 });
    // The one genuine datagram made "ghost" alive; silence then ages it out like any peer.
    await waitFor(
      "ghost to age out",
      async () => ((await alive("n1")).join() === "n2,n3" ? true : undefined),
      5000,
      20,
    );
  });

  it("SIGKILL: the survivors declare the peer dead after the configured silence", async () => {
    const killedAt = d.n2!.kill("SIGKILL");
    for (const h of ["n1", "n3"]) {
      const dead = await waitFor(
        `${h} to declare n2 dead`,
        async () => (await events(h)).find((e) => e.node === "n2" && e.state === "dead"),
        5000,
        20,
      );
      // Not before the last heartbeat could have gone silent for MISSED intervals.
      expect(dead.t - killedAt).toBeGreaterThanOrEqual((MISSED - 1) * INTERVAL);
      console.log(`${h} declared n2 dead ${dead.t - killedAt} ms after SIGKILL`);
    }
    expect(await alive("n1")).toEqual(["n3"]);
  });

  it("SIGTERM: the leaving peer is gone at once, without waiting for silence", async () => {
    const termAt = d.n3!.kill("SIGTERM");
    const left = await waitFor(
      "n1 to see n3 leave",
      async () => (await events("n1")).find((e) => e.node === "n3" && e.t >= termAt),
      5000,
      20,
    );
    expect(left.state).toBe("left");
    console.log(`n1 saw n3 leave ${left.t - termAt} ms after SIGTERM`);
    expect(await alive("n1")).toEqual([]);
  });
});
