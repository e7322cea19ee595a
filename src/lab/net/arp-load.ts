// ARP request load from a lab host: requests for one address at a fixed rate, each from its own
// sender IP (cycling through 198.51.100.0/24) so replies can be matched to requests; the
// latency from send to reply is measured in this process with one monotonic clock.
import { performance } from "node:perf_hooks";
import { openPacketSocket } from "../../runtime/native/index.js";
import { ARP_REQUEST, buildArp, parseFrame } from "../../runtime/l2/index.js";

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
