// L2 on the wire: three speaker namespaces, a client and a rogue host on one bridge. The client
// resolves with its own kernel (ip neigh, arping, ndisc6); tcpdump shows who answered.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, Lab, type Topology } from "../../src/lab/net/index.js";
import { L2_NODE_DRIVER, startDriver, type Driver } from "../../src/lab/net/drivers/launch.js";
import { waitFor } from "../../src/sys/proc.js";
import type { L2CountersSnapshot } from "../../src/runtime/l2/counters.js";
import { arpProbe, buildArp, ARP_REQUEST } from "../../src/runtime/l2/arp.js";
import { neighborSolicitation } from "../../src/runtime/l2/ndp.js";
import type { ProbeResult } from "../../src/runtime/l2/interface-announcer.js";

const VIP4 = "192.0.2.100";
const VIP6 = "2001:db8::100";
const ROGUE4 = "192.0.2.200";
const ROGUE6 = "2001:db8::200";

const host = (name: string, n: number, extra: string[] = []) => ({
  name,
  links: [{ segment: "lan", addresses: [`192.0.2.${n}/24`, `2001:db8::${n}/64`, ...extra] }],
});
const topology: Topology = {
  segments: ["lan"],
  hosts: [host("n1", 11), host("n2", 12), host("n3", 13), host("client", 2), host("rogue", 200)],
};

let lab: Lab;
const d: Record<string, Driver> = {};
const mac: Record<string, string> = {};

const counters = (h: string) =>
  d[h]!.rpc.call<L2CountersSnapshot>("counters", { interface: "eth0" });
const setOwned = (h: string, ips: string[]) =>
  d[h]!.rpc.call("setOwned", { interface: "eth0", ips });
const kernelMac = async (ip: string) => {
  // Any traffic makes the client's kernel resolve; the VIP itself does not answer pings.
  await lab
    .exec("client", ["ping", ip.includes(":") ? "-6" : "-4", "-c1", "-W1", ip])
    .catch(() => "");
  return client.neighbourMac(lab, "client", ip);
};

beforeAll(async () => {
  lab = await Lab.create(topology);
  for (const h of ["n1", "n2", "n3", "client"]) {
    d[h] = await startDriver(lab, h, L2_NODE_DRIVER);
    mac[h] = (await d[h].rpc.call<{ mac: string }>("open", { interface: "eth0" })).mac;
  }
  const rogueLink = (await lab.exec("rogue", ["ip", "-j", "link", "show", "eth0"])) || "[]";
  mac.rogue = (JSON.parse(rogueLink) as { address: string }[])[0]!.address;
});

afterAll(async () => {
  for (const drv of Object.values(d)) drv.rpc.close();
  await lab?.destroy();
});

describe("ARP and NDP responders", () => {
  it("the client's kernel resolves each VIP to the owner's MAC, and only the owner answers", async () => {
    await setOwned("n1", [VIP4, VIP6]);
    const cap = client.capture(lab, "client", "eth0", "arp or icmp6");
    await cap.ready();
    // The first answer may take a while on a loaded machine (drivers still warming up).
    const first = (resolve: typeof client.arpResolve, ip: string) =>
      waitFor(`an answer for ${ip}`, () => resolve(lab, "client", "eth0", ip), 15_000, 100);
    expect(await first(client.arpResolve, VIP4)).toBe(mac.n1);
    expect(await first(client.ndpResolve, VIP6)).toBe(mac.n1);
    for (let i = 0; i < 3; i++) await client.arpResolve(lab, "client", "eth0", VIP4);
    expect(await kernelMac(VIP4)).toBe(mac.n1);
    expect(await kernelMac(VIP6)).toBe(mac.n1);
    const lines = await cap.stop();
    const replies = lines.filter((l) => /Reply 192\.0\.2\.100 is-at/.test(l));
    const advertisements = lines.filter((l) =>
      /neighbor advertisement, .*tgt is 2001:db8::100/.test(l),
    );
    expect(replies.length).toBeGreaterThanOrEqual(5);
    expect(advertisements.length).toBeGreaterThanOrEqual(2);
    for (const l of [...replies, ...advertisements]) expect(l).toContain(` ${mac.n1} > `);
    const c1 = await counters("n1");
    expect(c1.perIp[VIP4]!.requestsReceived).toBeGreaterThanOrEqual(5);
    expect(c1.perIp[VIP4]!.responsesSent).toBe(c1.perIp[VIP4]!.requestsReceived);
    expect(c1.perIp[VIP6]!.responsesSent).toBeGreaterThanOrEqual(2);
    for (const h of ["n2", "n3"]) expect((await counters(h)).perIp).toEqual({});
  });

  it("moving ownership sends gratuitous ARP and unsolicited NA; the client's entries move", async () => {
    // The client holds entries for both VIPs pointing at n1 (previous test).
    expect(await client.neighbourMac(lab, "client", VIP4)).toBe(mac.n1);
    const cap = client.capture(lab, "client", "eth0", "arp or icmp6");
    await cap.ready();
    await setOwned("n1", []);
    await setOwned("n2", [VIP4, VIP6]);
    await waitFor(
      "client entry for the IPv4 VIP to move to n2",
      async () => (await client.neighbourMac(lab, "client", VIP4)) === mac.n2 || undefined,
      5000,
      50,
    );
    await waitFor(
      "client entry for the IPv6 VIP to move to n2",
      async () => (await client.neighbourMac(lab, "client", VIP6)) === mac.n2 || undefined,
      5000,
      50,
    );
    await new Promise((r) => setTimeout(r, 4500)); // the rest of the announcement schedule
    const lines = await cap.stop();
    const garpRequests = lines.filter(
      (l) =>
        l.includes(` ${mac.n2} > ff:ff:ff:ff:ff:ff`) &&
        /Request who-has 192\.0\.2\.100 \(ff:ff:ff:ff:ff:ff\) tell 192\.0\.2\.100|Request who-has 192\.0\.2\.100 tell 192\.0\.2\.100/.test(
          l,
        ),
    );
    const garpReplies = lines.filter(
      (l) => l.includes(` ${mac.n2} > ff:ff:ff:ff:ff:ff`) && /Reply 192\.0\.2\.100 is-at/.test(l),
    );
    const unsolicited = lines.filter(
      (l) =>
        l.includes(` ${mac.n2} > 33:33:00:00:00:01`) &&
        /neighbor advertisement, .*tgt is 2001:db8::100/.test(l),
    );
    expect([garpRequests.length, garpReplies.length, unsolicited.length]).toEqual([5, 5, 5]);
    const c2 = await counters("n2");
    expect([c2.perIp[VIP4]!.gratuitousSent, c2.perIp[VIP6]!.gratuitousSent]).toEqual([10, 5]);
    // n1 no longer answers, and its series for the address it gave up are gone (a node that owns
    // addresses in turn must not keep one per address it ever had).
    expect((await counters("n1")).perIp[VIP4]).toBeUndefined();
    expect(await client.arpResolve(lab, "client", "eth0", VIP4)).toBe(mac.n2);
    expect((await counters("n1")).perIp[VIP4]).toBeUndefined();
  });

  it("gratuitous ARP creates no new entry unless arp_accept=1 (Linux)", async () => {
    await lab.exec("client", ["ip", "neigh", "flush", "to", VIP4, "dev", "eth0"]);
    await setOwned("n2", [VIP6]);
    await setOwned("n3", [VIP4]);
    await new Promise((r) => setTimeout(r, 1200)); // three announcements went out
    expect(await client.neighbourMac(lab, "client", VIP4)).toBeUndefined();
    expect((await counters("n3")).perIp[VIP4]!.gratuitousSent).toBeGreaterThanOrEqual(4);
    await lab.exec("client", ["sysctl", "-qw", "net.ipv4.conf.eth0.arp_accept=1"]);
    await setOwned("n3", []);
    await setOwned("n1", [VIP4]);
    await waitFor(
      "an entry created from n1's gratuitous ARP",
      async () => (await client.neighbourMac(lab, "client", VIP4)) === mac.n1 || undefined,
      5000,
      50,
    );
    await lab.exec("client", ["sysctl", "-qw", "net.ipv4.conf.eth0.arp_accept=0"]);
  });
});

describe("conflict probes", () => {
  it("finds a foreign host holding the address, by ARP probe and by DAD-style NS", async () => {
    await lab
      .exec("rogue", ["ip", "addr", "add", `${ROGUE6}/64`, "dev", "eth0", "nodad"])
      .catch(() => "");
    const probe = (ip: string, ignoreMacs?: string[]) =>
      d.n1!.rpc.call<ProbeResult>("probe", { interface: "eth0", ip, timeoutMs: 600, ignoreMacs });
    expect(await probe(ROGUE4)).toEqual({ conflict: true, mac: mac.rogue });
    expect(await probe(ROGUE6)).toEqual({ conflict: true, mac: mac.rogue });
    expect(await probe("192.0.2.201")).toEqual({ conflict: false });
    expect(await probe("2001:db8::201")).toEqual({ conflict: false });
    // Another speaker owning the address answers too; the caller can name its MAC as ours.
    expect(await probe(VIP6)).toEqual({ conflict: true, mac: mac.n2 });
    expect(await probe(VIP6, [mac.n2!])).toEqual({ conflict: false });
  });
});

describe("malformed frames", () => {
  it("are dropped and counted by reason, and the responder keeps answering", async () => {
    await setOwned("n2", []);
    await setOwned("n3", []);
    await setOwned("n1", [VIP4, VIP6]);
    const before = await counters("n1");
    const arpReq = buildArp({
      op: ARP_REQUEST,
      ethDst: "ff:ff:ff:ff:ff:ff",
      ethSrc: mac.client!,
      senderMac: mac.client!,
      senderIp: "192.0.2.2",
      targetMac: "00:00:00:00:00:00",
      targetIp: VIP4,
    });
    const badType = Buffer.from(arpReq);
    badType[15] = 6; // hardware type IEEE 802
    const ns = neighborSolicitation(VIP6, mac.client!, "2001:db8::2");
    const badSum = Buffer.from(ns);
    badSum[57] = badSum[57]! ^ 0xff;
    const lowHop = Buffer.from(ns);
    lowHop[21] = 64;
    // ICMPv6 body cut to 16 bytes with IPv6 lengths that agree: a bridge with multicast
    // snooping drops IPv6 frames whose lengths disagree before they reach any host.
    const shortIcmp = Buffer.from(ns.subarray(0, 70));
    shortIcmp.writeUInt16BE(16, 18);
    const frames = [
      arpReq.subarray(0, 30), // truncated
      arpReq.subarray(0, 41), // truncated
      Buffer.concat([arpReq, Buffer.alloc(200)]), // oversized
      badType, // malformed
      badSum, // malformed
      lowHop, // malformed
      shortIcmp, // truncated
      arpProbe(VIP4, mac.client!), // valid: answered
    ];
    await d.client!.rpc.call("sendFrames", {
      interface: "eth0",
      frames: frames.map((f) => f.toString("hex")),
    });
    const after = await waitFor(
      "n1 to count the injected frames",
      async () => {
        const c = await counters("n1");
        return c.framesReceived - before.framesReceived >= frames.length ? c : undefined;
      },
      5000,
      50,
    );
    expect({
      truncated: after.dropped.truncated - before.dropped.truncated,
      oversized: after.dropped.oversized - before.dropped.oversized,
      malformed: after.dropped.malformed - before.dropped.malformed,
    }).toEqual({ truncated: 3, oversized: 1, malformed: 3 });
    expect(after.perIp[VIP4]!.responsesSent - (before.perIp[VIP4]?.responsesSent ?? 0)).toBe(1);
    expect(after.perIp[VIP6]?.responsesSent ?? 0).toBe(before.perIp[VIP6]?.responsesSent ?? 0);
    expect(after.receiveErrors).toBe(0);
    expect(await client.arpResolve(lab, "client", "eth0", VIP4)).toBe(mac.n1);
    expect(await client.ndpResolve(lab, "client", "eth0", VIP6)).toBe(mac.n1);
  });
});
