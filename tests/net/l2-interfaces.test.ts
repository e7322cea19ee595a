// NodeAnnouncers on a node with two interfaces on two segments: each interface answers for its own
// addresses only, an interface that cannot be opened does not stop the others, and closing an
// interface keeps its counts in the per-address totals.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, Lab, type Topology } from "../../src/lab/net/index.js";
import { L2_NODE_DRIVER, startDriver, type Driver } from "../../src/lab/net/drivers/launch.js";
import { waitFor } from "../../src/sys/proc.js";
import type { InterfaceFailure } from "../../src/runtime/l2/node-announcers.js";
import type { IpCounters } from "../../src/runtime/l2/counters.js";

const A = "192.0.2.100";
const B = "198.51.100.100";
const topology: Topology = {
  segments: ["lana", "lanb"],
  hosts: [
    {
      name: "node",
      links: [
        { segment: "lana", addresses: ["192.0.2.11/24"] },
        { segment: "lanb", addresses: ["198.51.100.11/24"] },
      ],
    },
    { name: "ca", links: [{ segment: "lana", addresses: ["192.0.2.2/24"] }] },
    { name: "cb", links: [{ segment: "lanb", addresses: ["198.51.100.2/24"] }] },
  ],
};

interface State {
  interfaces: string[];
  macs: Record<string, string>;
  byIp: Record<string, IpCounters>;
}

let lab: Lab;
let node: Driver;
const state = () => node.rpc.call<State>("managedState");
const apply = (assignment: Record<string, string[]>) =>
  node.rpc.call<InterfaceFailure[]>("apply", { assignment });
const resolve = (host: string, ip: string) =>
  waitFor(`${host} to resolve ${ip}`, () => client.arpResolve(lab, host, "eth0", ip), 15_000, 100);

beforeAll(async () => {
  lab = await Lab.create(topology);
  node = await startDriver(lab, "node", L2_NODE_DRIVER);
});

afterAll(async () => {
  node?.rpc.close();
  await lab?.destroy();
});

describe("NodeAnnouncers", () => {
  it("answers each address on its own interface, and reports interfaces it cannot open", async () => {
    const failures = await apply({ eth0: [A], eth1: [B], nosuch0: [A] });
    expect(failures).toEqual([
      {
        interface: "nosuch0",
        code: "ENODEV",
        message: expect.stringContaining("nosuch0") as string,
      },
    ]);
    const s = await state();
    expect(s.interfaces.sort()).toEqual(["eth0", "eth1"]);
    expect(s.macs.eth0).not.toBe(s.macs.eth1);
    expect(await resolve("ca", A)).toBe(s.macs.eth0);
    expect(await resolve("cb", B)).toBe(s.macs.eth1);
    // eth0 does not answer for B, eth1 not for A.
    expect(await client.arpResolve(lab, "ca", "eth0", B)).toBeUndefined();
    expect(await client.arpResolve(lab, "cb", "eth0", A)).toBeUndefined();
  });

  it("closes interfaces left without addresses and keeps their counts", async () => {
    const before = (await state()).byIp[B]!;
    expect(before.responsesSent).toBeGreaterThanOrEqual(1);
    expect(await apply({ eth0: [A] })).toEqual([]);
    const s = await state();
    expect(s.interfaces).toEqual(["eth0"]);
    expect(s.byIp[B]).toEqual(before);
    expect(await client.arpResolve(lab, "cb", "eth0", B)).toBeUndefined();
    expect(await resolve("ca", A)).toBe(s.macs.eth0);
  });

  it("reopens an interface whose MAC changed, and answers with the new MAC", async () => {
    const fresh = "02:00:00:00:aa:01";
    await lab.exec("node", ["ip", "link", "set", "eth0", "address", fresh]);
    expect(await apply({ eth0: [A] })).toEqual([]);
    expect((await state()).macs.eth0).toBe(fresh);
    expect(await resolve("ca", A)).toBe(fresh);
  });
});
