// Counters of one interface's responder, per owned address and per drop reason, for metrics
// (metallb_layer2_requests_received, _responses_sent, _gratuitous_sent) and debugging.
import type { DropReason } from "./drop.js";

export interface IpCounters {
  requestsReceived: number;
  responsesSent: number;
  gratuitousSent: number;
  /** ARP/NA packets from another MAC asserting this address while we own it. */
  foreignClaims: number;
}

export const zeroIpCounters = (): IpCounters => ({
  requestsReceived: 0,
  responsesSent: 0,
  gratuitousSent: 0,
  foreignClaims: 0,
});

/** Adds `c` into `into`, field by field. */
export function addIpCounters(into: IpCounters, c: IpCounters): void {
  for (const k of Object.keys(into) as (keyof IpCounters)[]) into[k] += c[k];
}

export interface L2CountersSnapshot {
  interface: string;
  framesReceived: number;
  dropped: Record<DropReason, number>;
  receiveErrors: number;
  sendErrors: number;
  perIp: Record<string, IpCounters>;
}

export class L2Counters {
  private framesReceived = 0;
  private receiveErrors = 0;
  private sendErrors = 0;
  private readonly dropped: Record<DropReason, number> = {
    truncated: 0,
    oversized: 0,
    malformed: 0,
    unsupported: 0,
    notOurs: 0,
    rateLimited: 0,
  };
  private readonly perIp = new Map<string, IpCounters>();

  constructor(readonly iface: string) {}

  frame(): void {
    this.framesReceived++;
  }
  drop(reason: DropReason): void {
    this.dropped[reason]++;
  }
  receiveError(): void {
    this.receiveErrors++;
  }
  sendError(): void {
    this.sendErrors++;
  }

  ip(ip: string, field: keyof IpCounters): void {
    let c = this.perIp.get(ip);
    if (!c) this.perIp.set(ip, (c = zeroIpCounters()));
    c[field]++;
  }

  /**
   * Drops the per-address counts of addresses no longer owned or probed here: a node that owns
   * addresses in turn over months (IPv6 pools) must not keep a series for each it ever had.
   */
  retainIps(keep: (ip: string) => boolean): void {
    for (const ip of this.perIp.keys()) if (!keep(ip)) this.perIp.delete(ip);
  }

  snapshot(): L2CountersSnapshot {
    return {
      interface: this.iface,
      framesReceived: this.framesReceived,
      dropped: { ...this.dropped },
      receiveErrors: this.receiveErrors,
      sendErrors: this.sendErrors,
      perIp: Object.fromEntries([...this.perIp].map(([ip, c]) => [ip, { ...c }])),
    };
  }
}
