// The responder's decisions: answer only owned targets, never announcements; what a packet claims.
import { describe, expect, it } from "vitest";
import { arpProbe, gratuitousArp, parseArp, type ArpPacket } from "../../src/runtime/l2/arp.js";
import { parseFrame, type L2Packet } from "../../src/runtime/l2/frame.js";
import { neighborSolicitation, unsolicitedAdvertisement } from "../../src/runtime/l2/ndp.js";
import { claimOf, replyTo } from "../../src/runtime/l2/responder.js";

const OURS = "02:00:00:00:00:01";
const CLIENT = "02:00:00:00:00:99";
const owned = new Set(["192.0.2.100", "2001:db8::100"]);

const packet = (f: Buffer): L2Packet => {
  const r = parseFrame(f);
  if (!r.ok) throw new Error(r.detail);
  return r.packet;
};
const request = (target: string): ArpPacket => ({
  kind: "arp",
  op: "request",
  ethDst: "ff:ff:ff:ff:ff:ff",
  ethSrc: CLIENT,
  senderMac: CLIENT,
  senderIp: "192.0.2.9",
  targetMac: "00:00:00:00:00:00",
  targetIp: target,
});

describe("replyTo", () => {
  it("answers ARP requests for owned addresses only", () => {
    const r = replyTo(request("192.0.2.100"), OURS, owned);
    expect(r?.ip).toBe("192.0.2.100");
    expect(parseArp(r!.frame)).toMatchObject({
      ok: true,
      packet: { op: "reply", senderMac: OURS },
    });
    expect(replyTo(request("192.0.2.101"), OURS, owned)).toBeUndefined();
    expect(replyTo({ ...request("192.0.2.100"), op: "reply" }, OURS, owned)).toBeUndefined();
  });

  it("defends owned addresses against probes, ignores announcements", () => {
    expect(replyTo(packet(arpProbe("192.0.2.100", CLIENT)), OURS, owned)?.ip).toBe("192.0.2.100");
    expect(
      replyTo(packet(gratuitousArp("192.0.2.100", CLIENT, "request")), OURS, owned),
    ).toBeUndefined();
  });

  it("answers Neighbor Solicitations for owned targets only", () => {
    const ns = packet(neighborSolicitation("2001:db8::100", CLIENT, "2001:db8::9"));
    expect(replyTo(ns, OURS, owned)?.ip).toBe("2001:db8::100");
    const other = packet(neighborSolicitation("2001:db8::101", CLIENT, "2001:db8::9"));
    expect(replyTo(other, OURS, owned)).toBeUndefined();
    expect(
      replyTo(packet(unsolicitedAdvertisement("2001:db8::100", CLIENT)), OURS, owned),
    ).toBeUndefined();
  });
});

describe("claimOf", () => {
  it("is the sender binding of ARP (none for probes) and the target binding of NA", () => {
    expect(claimOf(request("192.0.2.100"))).toEqual({ ip: "192.0.2.9", mac: CLIENT });
    expect(claimOf(packet(arpProbe("192.0.2.100", CLIENT)))).toBeUndefined();
    expect(claimOf(packet(unsolicitedAdvertisement("2001:db8::100", CLIENT)))).toEqual({
      ip: "2001:db8::100",
      mac: CLIENT,
    });
    expect(claimOf(packet(neighborSolicitation("2001:db8::100", CLIENT)))).toBeUndefined();
  });
});
