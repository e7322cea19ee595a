// The whole L2 path, real parts only: the API server, the controller as a process, three
// `metallb-ts speaker` processes in node namespaces (reaching the API server through a Unix
// socket bridge), and a client whose own kernel resolves the VIPs. Then the owner is killed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "../../src/lab/net/index.js";
import { waitFor } from "../../src/sys/proc.js";
import { startSpeakerLab, type SpeakerLab, NODES } from "../../src/lab/speaker-lab.js";

const NS = "l2-e2e";
const VIP4 = "192.0.2.100";
const VIP6 = "2001:db8::100";

let c: SpeakerLab;

beforeAll(async () => {
  c = await startSpeakerLab({ namespaces: [NS] });
  await c.advertise("lan", [`${VIP4}/32`, `${VIP6}/128`]);
  await c.service(NS, "web4", "IPv4");
  await c.service(NS, "web6", "IPv6");
}, 300_000);

afterAll(async () => {
  await c?.stop();
});

describe("L2 speakers end to end (API server, controller, three speaker processes, client kernel)", () => {
  it("each VIP gets one owner, recorded in a ServiceL2Status, and the client resolves it to that node's MAC", async () => {
    for (const [svc, vip, resolve] of [
      ["web4", VIP4, client.arpResolve],
      ["web6", VIP6, client.ndpResolve],
    ] as const) {
      expect(await c.harness.waitIngress(NS, svc)).toEqual([vip]);
      // Ownership settles once the speakers have heard each other (a starting speaker counts
      // peers it has not heard yet as live); then the status and the wire agree.
      const owner = await waitFor(
        `the client to resolve ${vip} to the MAC of the node holding ${svc}'s ServiceL2Status`,
        async () => {
          const o = await c.l2Owner(svc);
          return o && (await resolve(c.lab, "client", "eth0", vip)) === c.macs[o] ? o : undefined;
        },
        90_000,
        200,
      );
      await waitFor(
        `a nodeAssigned event from ${owner}`,
        async () =>
          (await c.harness.events(NS, svc)).some(
            (e) => e.reason === "nodeAssigned" && e.message?.includes(`"${owner}"`),
          ) || undefined,
        60_000,
      );
    }
  });

  it("30 Services over 3 nodes: no node owns more than 13, and the client resolves each to its owner", async () => {
    const names = Array.from({ length: 30 }, (_, i) => `bulk-${i}`);
    // Every speaker live first, so the placement is not still moving as nodes join.
    await c.waitForLeases(3);
    await c.advertise("bulk", ["192.0.2.160/27"]);
    for (const name of names)
      await c.service(NS, name, "IPv4", { "metallb.io/address-pool": "bulk" });
    // The client's answer and the recorded owner must agree; both are read afresh each time, since
    // an owner may still move while the speakers' views converge.
    for (const name of names) {
      const [vip = ""] = await c.harness.waitIngress(NS, name);
      await waitFor(
        `${vip} (${name}) answered by its recorded owner`,
        async () => {
          const owner = await c.l2Owner(name);
          const mac = await client.arpResolve(c.lab, "client", "eth0", vip);
          return owner && mac === c.macs[owner] ? true : undefined;
        },
        90_000,
        200,
      );
    }
    const owners = await Promise.all(names.map((n) => c.l2Owner(n)));
    const load = new Map<string, number>();
    for (const o of owners) if (o) load.set(o, (load.get(o) ?? 0) + 1);
    expect(owners.every(Boolean)).toBe(true);
    expect([...load.keys()].sort()).toEqual([...NODES]);
    expect(Math.max(...load.values())).toBeLessThanOrEqual(13);
  });

  it("a shared address stays announced while one sharer has no ready endpoint", async () => {
    const shared = "192.0.2.140";
    await c.advertise("shared", [`${shared}/32`]);
    const annotations = {
      "metallb.io/allow-shared-ip": "pair",
      "metallb.io/loadBalancerIPs": shared,
    };
    // One sharer with a ready endpoint on the first node, one with none at all (its Pods not
    // ready yet, or scaled to zero): the address must not go dark for both.
    await c.service(NS, "with-endpoints", "IPv4", annotations);
    await c.harness.lbService(NS, "without-endpoints", {
      annotations,
      // Sharers may not overlap in ports.
      spec: { ipFamilies: ["IPv4"], ports: [{ port: 81, protocol: "TCP" }] },
    });
    expect(await c.harness.waitIngress(NS, "without-endpoints")).toEqual([shared]);
    await waitFor(
      `${shared} answered by the node holding with-endpoints' ServiceL2Status`,
      async () => {
        const owner = await c.l2Owner("with-endpoints");
        const mac = await client.arpResolve(c.lab, "client", "eth0", shared);
        return owner && mac === c.macs[owner] ? true : undefined;
      },
      90_000,
      200,
    );
  });

  it("the owner SIGKILLed: another node takes the VIP over and the client's entry moves to it", async () => {
    const owner = (await c.l2Owner("web4"))!;
    // every speaker is up (holds its Lease) before the owner goes
    await c.waitForLeases(3);
    // the client holds an entry for the VIP
    await c.lab.exec("client", ["ping", "-4", "-c1", "-W1", VIP4]).catch(() => "");
    expect(await client.neighbourMac(c.lab, "client", VIP4)).toBe(c.macs[owner]);
    process.kill(c.speakers[owner]!.pid, "SIGKILL");
    await c.speakers[owner]!.exited;
    const survivors = NODES.filter((n) => n !== owner);
    const moved = await c.waitEntryMoved(VIP4, owner);
    expect(survivors.map((n) => c.macs[n])).toContain(moved);
  });
});
