// Address-resolution load from a lab host. arpLoad: ARP request load: requests for one address at a fixed rate, each from its own
// sender IP (cycling through 198.51.100.0/24) so replies can be matched to requests; the
// latency from send to reply is measured in this process with one monotonic clock.
import { performance } from "node:perf_hooks";
import { openPacketSocket } from "../../runtime/native/index.js";
import { ARP_REQUEST, buildArp, parseFrame } from "../../runtime/l2/index.js";
import { neighborSolicitation } from "../../runtime/l2/ndp.js";

export interface ArpLoadResult {
  sent: number;
  answered: number;
  /** Reply latencies in microseconds, sorted. */
  latenciesUs: number[];
}

const SENDERS = 250;

export function arpLoad(opts: {
  interface: string;
  mac: string;
  target: string;
  rate: number;
  durationMs: number;
}): Promise<ArpLoadResult> {
  const senderIp = (i: number) => `198.51.100.${(i % SENDERS) + 1}`;
  const frames = Array.from({ length: SENDERS }, (_, i) =>
    buildArp({
      op: ARP_REQUEST,
      ethDst: "ff:ff:ff:ff:ff:ff",
      ethSrc: opts.mac,
      senderMac: opts.mac,
      senderIp: senderIp(i),
      targetMac: "00:00:00:00:00:00",
      targetIp: opts.target,
    }),
  );
  const pending = new Map<string, number>();
  const latenciesUs: number[] = [];
  const socket = openPacketSocket(opts.interface, (err, frame) => {
    if (err || !frame) return;
    const r = parseFrame(frame);
    if (!r.ok || r.packet.kind !== "arp" || r.packet.op !== "reply") return;
    if (r.packet.senderIp !== opts.target) return;
    const sentAt = pending.get(r.packet.targetIp);
    if (sentAt === undefined) return;
    pending.delete(r.packet.targetIp);
    latenciesUs.push(Math.round((performance.now() - sentAt) * 1000));
  });
  let sent = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(
        Math.floor((elapsed * opts.rate) / 1000),
        (opts.durationMs * opts.rate) / 1000,
      );
      for (; sent < due; sent++) {
        const ip = senderIp(sent);
        pending.set(ip, performance.now());
        socket.send(frames[sent % SENDERS]!);
      }
      if (elapsed >= opts.durationMs) {
        clearInterval(timer);
        // Late replies still count for a moment after the last request.
        setTimeout(() => {
          socket.close();
          resolve({
            sent,
            answered: latenciesUs.length,
            latenciesUs: latenciesUs.sort((a, b) => a - b),
          });
        }, 200);
      }
    }, 1);
  });
}

export interface Flood {
  /** Stops sending; how many frames went out, and at what rate they were sent on average. */
  stop(): { sent: number; ratePerSecond: number };
}

/**
 * A foreign host flooding the segment with address resolution: ARP requests for the IPv4
 * targets and Neighbor Solicitations for the IPv6 ones, in turn, at `rate` frames a second until
 * stopped. The targets mix addresses the speakers answer for with ones nobody owns.
 */
export function startFlood(opts: {
  interface: string;
  mac: string;
  targets: string[];
  rate: number;
}): Flood {
  const frames = opts.targets.map((t, i) =>
    t.includes(":")
      ? neighborSolicitation(t, opts.mac, `2001:db8::f:${(i % 250) + 1}`)
      : buildArp({
          op: ARP_REQUEST,
          ethDst: "ff:ff:ff:ff:ff:ff",
          ethSrc: opts.mac,
          senderMac: opts.mac,
          senderIp: `198.51.100.${(i % 250) + 1}`,
          targetMac: "00:00:00:00:00:00",
          targetIp: t,
        }),
  );
  if (!frames.length) throw new Error("a flood needs at least one target address");
  const socket = openPacketSocket(opts.interface, () => undefined);
  let sent = 0;
  const start = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * opts.rate) / 1000);
    for (; sent < due; sent++) socket.send(frames[sent % frames.length]!);
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      socket.close();
      const seconds = (performance.now() - start) / 1000;
      return { sent, ratePerSecond: Math.round(sent / seconds) };
    },
  };
}
