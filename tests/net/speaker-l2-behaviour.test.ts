// L2 behaviour through real speaker processes (API server, controller, three speakers, client
// kernel): one answer per VIP in steady state, a foreign host's address is never taken over
// and is reported, a missing interface is reported, malformed frames are counted and ignored,
// and a SIGTERMed owner hands over through its "leave" heartbeat.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { L2_NODE_DRIVER, startDriver, type Driver } from "../../src/lab/net/drivers/launch.js";
import { client } from "../../src/lab/net/index.js";
import { waitFor } from "../../src/sys/proc.js";
import { buildArp, ARP_REQUEST } from "../../src/runtime/l2/arp.js";
import { icmpv6Checksum, neighborSolicitation } from "../../src/runtime/l2/ndp.js";
import { startSpeakerLab, type SpeakerLab, NODES } from "../../src/lab/speaker-lab.js";
import { sample } from "../../src/lab/cluster.js";

const NS = "l2-behaviour";
const VIP4 = "192.0.2.100";
const VIP6 = "2001:db8::100";
/** Held by the foreign host before any Service asks for it. */
const FOREIGN_IP = "192.0.2.200";

let c: SpeakerLab;
let injector: Driver;
let foreignMac: string;

beforeAll(async () => {
  c = await startSpeakerLab({
    namespaces: [NS],
    extraHosts: [{ name: "foreign", links: [{ segment: "lan", addresses: [`${FOREIGN_IP}/24`] }] }],
  });
  foreignMac = (await c.lab.exec("foreign", ["cat", "/sys/class/net/eth0/address"])).trim();
  await c.advertise("lan", [`${VIP4}/32`, `${VIP6}/128`, `${FOREIGN_IP}/32`]);
  // named interface that no node has
  await c.advertise("nowhere", ["192.0.2.120/32"], ["eth9"]);
  await c.service(NS, "web4", "IPv4", { "metallb.io/loadBalancerIPs": VIP4 });
  await c.service(NS, "web6", "IPv6", { "metallb.io/loadBalancerIPs": VIP6 });
  await c.service(NS, "taken", "IPv4", { "metallb.io/loadBalancerIPs": FOREIGN_IP });
  await c.service(NS, "nowhere", "IPv4", { "metallb.io/address-pool": "nowhere" });
  injector = await startDriver(c.lab, "client", L2_NODE_DRIVER);
  for (const svc of ["web4", "web6"])
    await waitFor(`${svc} has one L2 owner`, () => c.l2Owner(svc), 90_000);
}, 300_000);

afterAll(async () => {
  injector?.rpc.close();
  await c?.stop();
});

describe("L2 speakers: steady state", () => {
  it("exactly one node answers each VIP during 30 s of repeated ARP and NDP", async () => {
    const cap = client.capture(c.lab, "client", "eth0", "arp or icmp6");
    await cap.ready();
    const until = Date.now() + 30_000;
    let asked = 0;
    while (Date.now() < until) {
      await client.arpResolve(c.lab, "client", "eth0", VIP4);
      await client.ndpResolve(c.lab, "client", "eth0", VIP6);
      asked++;
    }
    const lines = await cap.stop();
    expect(asked).toBeGreaterThan(5);
    const owner4 = (await c.l2Owner("web4"))!;
    const owner6 = (await c.l2Owner("web6"))!;
    expect(client.answerers(lines, VIP4)).toEqual(new Set([c.macs[owner4]]));
    expect(client.answerers(lines, VIP6)).toEqual(new Set([c.macs[owner6]]));
    const m = await c.metrics(owner4);
    expect(
      sample(m, "metallb_speaker_announced", {
        ip: VIP4,
        node: owner4,
        protocol: "layer2",
        service: `${NS}/web4`,
      }),
    ).toBe(1);
    expect(sample(m, "metallb_layer2_responses_sent", { ip: VIP4 })).toBeGreaterThan(0);
  }, 120_000);
});

describe("L2 speakers: problems are reported, not announced", () => {
  it("a foreign host holding a pool IP: IPConflict event, condition, metric; the client never sees a speaker MAC", async () => {
    expect(await c.harness.waitIngress(NS, "taken")).toEqual([FOREIGN_IP]);
    const ev = await c.harness.waitEvent(NS, "taken", "IPConflict");
    expect(ev.type).toBe("Warning");
    expect(ev.message).toContain(FOREIGN_IP);
    expect(ev.message).toContain(foreignMac);
    const [status] = await waitFor(
      "a ServiceL2Status with the IPConflict condition",
      async () => {
        const s = await c.l2Statuses("taken");
        return s[0]?.status?.conditions?.some((x) => x.reason === "IPConflict") ? s : undefined;
      },
      30_000,
    );
    expect(status!.status!.conditions).toEqual([
      expect.objectContaining({ type: "Announced", status: "False", reason: "IPConflict" }),
    ]);
    expect(status!.status!.conditions![0]!.message).toContain(foreignMac);
    expect(status!.status!.interfaces).toEqual([]);
    const owner = status!.status!.node!;
    const m = await c.metrics(owner);
    expect(sample(m, "metallb_ts_layer2_foreign_claims_total", { ip: FOREIGN_IP })).toBeGreaterThan(
      0,
    );
    expect(sample(m, "metallb_speaker_announced", { ip: FOREIGN_IP })).toBe(0);
    // The client asks a few times over several seconds: always the foreign host answers.
    const cap = client.capture(c.lab, "client", "eth0", "arp");
    await cap.ready();
    for (let i = 0; i < 5; i++) {
      await c.lab.exec("client", ["ping", "-4", "-c1", "-W1", FOREIGN_IP]).catch(() => "");
      expect(await client.neighbourMac(c.lab, "client", FOREIGN_IP)).toBe(foreignMac);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const lines = await cap.stop();
    const speakerMacs = new Set(NODES.map((n) => c.macs[n]));
    const claims = lines.filter(
      (l) =>
        speakerMacs.has(/^\S+ ([0-9a-f:]{17}) >/.exec(l)?.[1] ?? "") &&
        (l.includes(`Reply ${FOREIGN_IP} is-at`) || l.includes(`tell ${FOREIGN_IP}`)),
    );
    expect(claims).toEqual([]);
  }, 120_000);

  it("an L2Advertisement naming an interface the node lacks: InterfaceMissing event and condition", async () => {
    const ev = await c.harness.waitEvent(NS, "nowhere", "InterfaceMissing");
    expect(ev.type).toBe("Warning");
    expect(ev.message).toContain("eth9");
    const [status] = await waitFor(
      "a ServiceL2Status with the InterfaceMissing condition",
      async () => {
        const s = await c.l2Statuses("nowhere");
        return s[0]?.status?.conditions?.some((x) => x.reason === "InterfaceMissing")
          ? s
          : undefined;
      },
      30_000,
    );
    expect(status!.status!.conditions).toEqual([
      expect.objectContaining({ type: "Announced", status: "False", reason: "InterfaceMissing" }),
    ]);
    expect(await client.arpResolve(c.lab, "client", "eth0", "192.0.2.120")).toBeUndefined();
  }, 120_000);
});

describe("L2 speakers: malformed frames", () => {
  it("are dropped and counted on /metrics; the speaker stays up and keeps answering", async () => {
    const owner4 = (await c.l2Owner("web4"))!;
    const owner6 = (await c.l2Owner("web6"))!;
    // per reason, summed over the owners (ARP broadcasts reach both, NS only the IPv6 owner)
    const drops = async () => {
      const out = { truncated: 0, oversized: 0, malformed: 0 };
      for (const n of new Set([owner4, owner6])) {
        const m = await c.metrics(n);
        for (const reason of Object.keys(out) as (keyof typeof out)[])
          out[reason] += sample(m, "metallb_ts_layer2_frames_dropped_total", { reason });
      }
      return out;
    };
    const before = await drops();
    const cmac = (await c.lab.exec("client", ["cat", "/sys/class/net/eth0/address"])).trim();
    const arpReq = buildArp({
      op: ARP_REQUEST,
      ethDst: "ff:ff:ff:ff:ff:ff",
      ethSrc: cmac,
      senderMac: cmac,
      senderIp: "192.0.2.2",
      targetMac: "00:00:00:00:00:00",
      targetIp: VIP4,
    });
    const badHardware = Buffer.from(arpReq);
    badHardware[15] = 6; // hardware type IEEE 802
    const badProtocol = Buffer.from(arpReq);
    badProtocol[17] = 0x01; // protocol type 0x0801
    const ns = neighborSolicitation(VIP6, cmac, "2001:db8::2");
    // The source link-layer address option with length 0 (RFC 4861 §4.6: must be dropped), under
    // a valid checksum so that the option is what is wrong.
    const zeroOption = Buffer.from(ns);
    zeroOption[14 + 40 + 24 + 1] = 0;
    zeroOption.writeUInt16BE(0, 14 + 40 + 2);
    zeroOption.writeUInt16BE(
      icmpv6Checksum(
        zeroOption.subarray(22, 38),
        zeroOption.subarray(38, 54),
        zeroOption.subarray(54),
      ),
      14 + 40 + 2,
    );
    const frames = [
      arpReq.subarray(0, 30), // truncated
      Buffer.concat([arpReq, Buffer.alloc(200)]), // oversized
      badHardware,
      badProtocol,
      zeroOption,
    ];
    await injector.rpc.call("sendFrames", {
      interface: "eth0",
      frames: frames.map((f) => f.toString("hex")),
    });
    // Metrics refresh every second.
    const after = await waitFor(
      "the drop counters to rise",
      async () => {
        const d = await drops();
        return d.truncated > before.truncated &&
          d.oversized > before.oversized &&
          d.malformed >= before.malformed + 3
          ? d
          : undefined;
      },
      15_000,
      250,
    ).catch(async (err: Error) => {
      throw new Error(
        `${err.message}; before ${JSON.stringify(before)}, now ${JSON.stringify(await drops())}`,
      );
    });
    expect(after.malformed - before.malformed).toBeGreaterThanOrEqual(3);
    const exited = await Promise.race([
      c.speakers[owner4]!.exited.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 100)),
    ]);
    expect(exited).toBe(false);
    expect(await client.arpResolve(c.lab, "client", "eth0", VIP4)).toBe(c.macs[owner4]);
    expect(await client.ndpResolve(c.lab, "client", "eth0", VIP6)).toBe(c.macs[owner6]);
  }, 120_000);
});

describe("L2 speakers: SIGTERM", () => {
  it("the owner leaves: a survivor takes over through the leave heartbeat, not failure detection", async () => {
    await c.waitForLeases(3);
    const owner = (await c.l2Owner("web4"))!;
    const survivors = NODES.filter((n) => n !== owner);
    await c.lab.exec("client", ["ping", "-4", "-c1", "-W1", VIP4]).catch(() => "");
    expect(await client.neighbourMac(c.lab, "client", VIP4)).toBe(c.macs[owner]);
    const cap = client.capture(c.lab, "client", "eth0", "arp");
    await cap.ready();
    process.kill(c.speakers[owner]!.pid, "SIGTERM");
    const moved = await c.waitEntryMoved(VIP4, owner);
    expect(await c.speakers[owner]!.exited).toBe(0);
    const lines = await cap.stop();
    const newOwner = survivors.find((n) => c.macs[n] === moved)!;
    expect(newOwner).toBeDefined();
    // the new owner announced itself (gratuitous ARP), unasked
    expect(
      lines.some(
        (l) =>
          l.includes(` ${moved} > ff:ff:ff:ff:ff:ff`) &&
          (l.includes(`who-has ${VIP4} tell ${VIP4}`) || l.includes(`Reply ${VIP4} is-at`)),
      ),
    ).toBe(true);
    // it learnt of the departure from the leave heartbeat, never from missed heartbeats
    const m = await c.metrics(newOwner);
    expect(
      sample(m, "metallb_ts_heartbeat_peer_transitions_total", { peer: owner, state: "left" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(m, "metallb_ts_heartbeat_peer_transitions_total", { peer: owner, state: "dead" }),
    ).toBe(0);
    expect(c.speakers[newOwner]!.log()).toMatch(
      new RegExp(`heartbeat peer state.*"node":"${owner}".*"state":"left"`),
    );
  }, 120_000);
});
