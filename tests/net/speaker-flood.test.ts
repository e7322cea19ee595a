// Three speakers while a foreign host floods the segment with address resolution (ARP requests
// and Neighbor Solicitations, 10,000 frames a second) for the speakers' addresses and for
// addresses nobody owns. Nothing may die that is alive: no speaker declares another dead, each
// VIP keeps exactly one answerer at the client, and the frames the speakers did not need are
// dropped early and counted. (Failover times under 10k and 50k frames/s: bench/l2-speaker.script.ts
// --flood.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sample } from "../../src/lab/cluster.js";
import { L2_NODE_DRIVER, startDriver, type Driver } from "../../src/lab/net/drivers/launch.js";
import { client } from "../../src/lab/net/index.js";
import { NODES, startSpeakerLab, type SpeakerLab } from "../../src/lab/speaker-lab.js";
import { waitFor } from "../../src/sys/proc.js";

const NS = "flood";
const RATE = 10_000;
const FLOOD_MS = 20_000;
const VIPS4 = ["192.0.2.180", "192.0.2.181", "192.0.2.182"];
const VIPS6 = ["2001:db8::180", "2001:db8::181"];
/** Addresses on the segment that no one owns: the speakers must drop these cheaply. */
const NOBODY = Array.from({ length: 40 }, (_, i) => `192.0.2.${210 + i}`);

let c: SpeakerLab;
let flooder: Driver;
let floodMac: string;

const deadVerdicts = async () => {
  let dead = 0;
  for (const n of NODES)
    dead += sample(await c.metrics(n), "metallb_ts_heartbeat_peer_transitions_total", {
      state: "dead",
    });
  return dead;
};

beforeAll(async () => {
  c = await startSpeakerLab({
    namespaces: [NS],
    extraHosts: [{ name: "flooder", links: [{ segment: "lan", addresses: ["192.0.2.250/24"] }] }],
  });
  floodMac = (await c.lab.exec("flooder", ["cat", "/sys/class/net/eth0/address"])).trim();
  await c.advertise(
    "flood",
    [...VIPS4, ...VIPS6].map((ip) => `${ip}/${ip.includes(":") ? 128 : 32}`),
  );
  for (const [i, ip] of [...VIPS4, ...VIPS6].entries())
    await c.service(NS, `f${i}`, ip.includes(":") ? "IPv6" : "IPv4", {
      "metallb.io/loadBalancerIPs": ip,
    });
  await c.waitForLeases(NODES.length);
  for (const i of [...VIPS4, ...VIPS6].keys())
    await waitFor(`f${i} has one owner`, () => c.l2Owner(`f${i}`), 120_000);
  flooder = await startDriver(c.lab, "flooder", L2_NODE_DRIVER);
}, 400_000);

afterAll(async () => {
  await flooder?.rpc.call("floodStop", {}).catch(() => undefined);
  flooder?.rpc.close();
  await c?.stop();
});

describe("L2 speakers under an ARP/NDP flood from a foreign host", () => {
  it(
    `${RATE} frames/s for ${FLOOD_MS / 1000} s: no false dead verdict, one answerer per VIP, the surplus dropped`,
    { timeout: 300_000 },
    async () => {
      const owners = new Map<string, string>();
      for (const [i, ip] of [...VIPS4, ...VIPS6].entries())
        owners.set(ip, c.macs[(await c.l2Owner(`f${i}`))!]!);
      const deadBefore = await deadVerdicts();
      // The speakers' own answers only: the flood itself is not worth capturing.
      const cap = client.capture(
        c.lab,
        "client",
        "eth0",
        `(arp or icmp6) and not ether src ${floodMac}`,
      );
      await cap.ready();
      await flooder.rpc.call("floodStart", {
        interface: "eth0",
        mac: floodMac,
        targets: [...VIPS4, ...VIPS6, ...NOBODY],
        rate: RATE,
      });
      const until = Date.now() + FLOOD_MS;
      let rounds = 0;
      while (Date.now() < until) {
        for (const ip of VIPS4)
          expect(await client.arpResolve(c.lab, "client", "eth0", ip), ip).toBe(owners.get(ip));
        for (const ip of VIPS6)
          expect(await client.ndpResolve(c.lab, "client", "eth0", ip), ip).toBe(owners.get(ip));
        rounds++;
      }
      const flood = await flooder.rpc.call<{ sent: number; ratePerSecond: number }>(
        "floodStop",
        {},
      );
      const lines = await cap.stop();
      console.log(
        `flood: ${flood.sent} frames at ${flood.ratePerSecond}/s; the client resolved every VIP ${rounds} times`,
      );
      // The flooder kept up (within a fifth of the rate), and the client asked throughout.
      expect(flood.ratePerSecond).toBeGreaterThan(RATE * 0.8);
      expect(rounds).toBeGreaterThan(3);
      for (const ip of VIPS4)
        expect(client.answerers(lines, ip), ip).toEqual(new Set([owners.get(ip)]));
      expect(await deadVerdicts()).toBe(deadBefore);
      // Frames about addresses no speaker owns were dropped before parsing, on every node.
      for (const n of NODES) {
        const m = await c.metrics(n);
        expect(
          sample(m, "metallb_ts_layer2_frames_dropped_total", {
            interface: "eth0",
            reason: "notOurs",
          }),
          n,
        ).toBeGreaterThan(0);
      }
    },
  );
});
