// InterfaceAnnouncer: answers ARP and NDP for the addresses this node owns on one interface, announces
// takeovers (gratuitous ARP, unsolicited NA) and probes addresses for conflicts before use.
// The decisions are the pure functions of responder.ts; this is the socket and timer shell.
import { formatIp, type Ip } from "../../api/formats/ip.js";
import type { Logger } from "../log.js";
import {
  links,
  openPacketSocket,
  PacketType,
  type NativeError,
  type PacketSocket,
} from "../native/index.js";
import { arpProbe, gratuitousArp } from "./arp.js";
import { L2Counters, type L2CountersSnapshot } from "./counters.js";
import { macBytes } from "./ethernet.js";
import { parseFrame, type L2Packet } from "./frame.js";
import { ipToBytes } from "./ip-bytes.js";
import { interfaceFacts } from "./interfaces.js";
import {
  ipv6MulticastMac,
  neighborSolicitation,
  solicitedNodeBytes,
  unsolicitedAdvertisement,
} from "./ndp.js";
import { mayConcern, ipv4Number, TokenBucket } from "./prefilter.js";
import { claimOf, replyTo } from "./responder.js";

/** When (ms after taking an address over) gratuitous ARP / unsolicited NA go out. */
export const DEFAULT_ANNOUNCE_AT_MS: readonly number[] = [0, 500, 1000, 2000, 4000];

export type GratuitousArpForm = "request" | "reply";

export interface InterfaceAnnouncerOptions {
  /** Interface name; it must exist, be up and have an Ethernet address. */
  interface: string;
  announceAtMs?: readonly number[];
  /** Forms of gratuitous ARP sent at each announcement; both by default (see docs/l2.md). */
  arpForms?: readonly GratuitousArpForm[];
  log?: Logger;
  /** Another MAC asserted an address we own (its ARP or NA); the caller decides what it means. */
  onForeignClaim?: (claim: { interface: string; ip: string; mac: string }) => void;
  /** Frames about owned or probed addresses handled per second, beyond which they are dropped. */
  maxFramesPerSecond?: number;
}

export type ProbeResult = { conflict: false } | { conflict: true; mac: string };

export interface ProbeOptions {
  /** How long to listen for a foreign answer. */
  timeoutMs?: number;
  /** Probes sent, spread evenly over the first half of the wait. */
  attempts?: number;
  /** MACs whose answers are not conflicts (e.g. this cluster's other speakers). */
  ignoreMacs?: readonly string[];
}

interface Waiter {
  ignore: ReadonlySet<string>;
  done: (result: ProbeResult) => void;
}

interface GroupMembership {
  count: number;
  /** How the group was joined: IP level (MLD) or, when IPv6 is off, the NIC's MAC filter only. */
  via: "ipv6" | "mac";
}

export class InterfaceAnnouncer {
  readonly interfaceName: string;
  readonly mac: string;
  /** The interface's index when opened: a deleted and re-created interface gets a new one. */
  readonly ifindex: number;
  private readonly socket: PacketSocket;
  private readonly counters_: L2Counters;
  private readonly ownedSet = new Set<string>();
  private readonly ownedIps = new Map<string, Ip>();
  private readonly timers = new Map<string, NodeJS.Timeout[]>();
  private readonly probes = new Map<string, Set<Waiter>>();
  private readonly groups = new Map<string, GroupMembership>();
  /** IPv4 addresses owned or being probed here, as numbers: what an ARP frame must mention. */
  private readonly watched4 = new Map<number, number>();
  private readonly bucket: TokenBucket;
  private closed = false;

  private constructor(
    name: string,
    mac: string,
    private readonly opts: InterfaceAnnouncerOptions,
  ) {
    this.interfaceName = name;
    this.mac = mac;
    this.counters_ = new L2Counters(name);
    this.bucket = new TokenBucket(opts.maxFramesPerSecond ?? 5000, opts.maxFramesPerSecond ?? 5000);
    this.socket = openPacketSocket(name, (err, frame, pktType, wireLength) =>
      this.receive(err, frame, pktType, wireLength),
    );
    this.ifindex = this.socket.ifindex;
  }

  /** Opens the interface's packet socket (needs CAP_NET_RAW). Throws ENODEV-coded errors. */
  static open(opts: InterfaceAnnouncerOptions): InterfaceAnnouncer {
    const link = links().find((l) => l.name === opts.interface);
    if (!link) {
      throw Object.assign(
        new Error(
          `interface "${opts.interface}" does not exist on this node; fix the L2Advertisement's interfaces list`,
        ),
        { code: "ENODEV" },
      );
    }
    const facts = interfaceFacts(link);
    if (!facts.mac || !facts.ethernet) {
      throw Object.assign(
        new Error(
          `interface "${opts.interface}" has no Ethernet address; ARP/NDP cannot run on it`,
        ),
        { code: "EAFNOSUPPORT" },
      );
    }
    return new InterfaceAnnouncer(facts.name, facts.mac, opts);
  }

  /**
   * Sets the addresses answered on this interface. Addresses new to the set are announced at
   * once and then on the announce schedule; removed ones stop being answered at once.
   */
  setOwned(ips: readonly Ip[]): void {
    this.assertOpen();
    const next = new Map(ips.map((ip) => [formatIp(ip), ip]));
    for (const [text, ip] of this.ownedIps) if (!next.has(text)) this.release(text, ip);
    for (const [text, ip] of next) if (!this.ownedIps.has(text)) this.take(text, ip);
  }

  /** Drops the per-address counts of addresses neither kept, owned nor being probed here. */
  retainCounters(keep: ReadonlySet<string>): void {
    this.counters_.retainIps((ip) => keep.has(ip) || this.ownedSet.has(ip) || this.probes.has(ip));
  }

  owned(): Ip[] {
    return [...this.ownedIps.values()];
  }

  /**
   * Asks whether another host answers for `ip`: ARP probes (RFC 5227, sender 0.0.0.0) or
   * DAD-style Neighbor Solicitations (from ::). Any ARP or NA from a foreign MAC asserting the
   * address during the wait is a conflict.
   */
  probe(ip: Ip, opts: ProbeOptions = {}): Promise<ProbeResult> {
    this.assertOpen();
    const timeoutMs = opts.timeoutMs ?? 500;
    const attempts = Math.max(1, opts.attempts ?? 2);
    const text = formatIp(ip);
    return new Promise((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const waiter: Waiter = {
        ignore: new Set([this.mac, ...(opts.ignoreMacs ?? []).map((m) => m.toLowerCase())]),
        done: (result) => {
          timers.forEach(clearTimeout);
          this.probes.get(text)?.delete(waiter);
          if (this.probes.get(text)?.size === 0) this.probes.delete(text);
          resolve(result);
        },
      };
      let set = this.probes.get(text);
      if (!set) this.probes.set(text, (set = new Set()));
      set.add(waiter);
      if (ip.family === 4) {
        this.watch(text);
        const done = waiter.done;
        waiter.done = (result) => {
          this.unwatch(text);
          done(result);
        };
      }
      const frame =
        ip.family === 4 ? arpProbe(text, this.mac) : neighborSolicitation(text, this.mac);
      for (let i = 0; i < attempts; i++)
        timers.push(setTimeout(() => this.send(frame), (i * timeoutMs) / (2 * attempts)));
      timers.push(setTimeout(() => waiter.done({ conflict: false }), timeoutMs));
    });
  }

  counters(): L2CountersSnapshot {
    return this.counters_.snapshot();
  }

  /** Stops answering and announcing; pending probes resolve without a conflict. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ts of this.timers.values()) ts.forEach(clearTimeout);
    this.timers.clear();
    for (const set of [...this.probes.values()])
      for (const w of [...set]) w.done({ conflict: false });
    this.socket.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`InterfaceAnnouncer for ${this.interfaceName} is closed`);
  }

  private watch(text: string): void {
    const n = ipv4Number(text);
    this.watched4.set(n, (this.watched4.get(n) ?? 0) + 1);
  }

  private unwatch(text: string): void {
    const n = ipv4Number(text);
    const left = (this.watched4.get(n) ?? 1) - 1;
    if (left > 0) this.watched4.set(n, left);
    else this.watched4.delete(n);
  }

  private take(text: string, ip: Ip): void {
    this.ownedIps.set(text, ip);
    this.ownedSet.add(text);
    if (ip.family === 4) this.watch(text);
    if (ip.family === 6) this.joinSolicitedNode(ip);
    const at = this.opts.announceAtMs ?? DEFAULT_ANNOUNCE_AT_MS;
    this.timers.set(
      text,
      at.map((ms) => setTimeout(() => this.announce(text, ip), ms)),
    );
  }

  private release(text: string, ip: Ip): void {
    this.ownedIps.delete(text);
    this.ownedSet.delete(text);
    if (ip.family === 4) this.unwatch(text);
    this.timers.get(text)?.forEach(clearTimeout);
    this.timers.delete(text);
    if (ip.family === 6) this.leaveSolicitedNode(ip);
  }

  private announce(text: string, ip: Ip): void {
    if (!this.ownedSet.has(text)) return;
    const frames =
      ip.family === 4
        ? (this.opts.arpForms ?? ["request", "reply"]).map((form) =>
            gratuitousArp(text, this.mac, form),
          )
        : [unsolicitedAdvertisement(text, this.mac)];
    for (const f of frames) if (this.send(f)) this.counters_.ip(text, "gratuitousSent");
  }

  // Solicitations for an address go to its solicited-node group; several owned addresses can
  // share one group, so memberships are counted.
  private joinSolicitedNode(ip: Ip): void {
    const group = solicitedNodeBytes(ipToBytes(ip));
    const key = group.toString("hex");
    const m = this.groups.get(key);
    if (m) {
      m.count++;
      return;
    }
    try {
      this.socket.joinIpv6Group(group);
      this.groups.set(key, { count: 1, via: "ipv6" });
    } catch (err) {
      // IPv6 disabled on the interface: no MLD, but the NIC can still be told to accept the MAC.
      this.opts.log?.warn("IPv6 group join failed; accepting the group's MAC instead", {
        interface: this.interfaceName,
        error: (err as Error).message,
      });
      this.socket.addMulticastMac(macBytes(ipv6MulticastMac(group)));
      this.groups.set(key, { count: 1, via: "mac" });
    }
  }

  private leaveSolicitedNode(ip: Ip): void {
    const group = solicitedNodeBytes(ipToBytes(ip));
    const key = group.toString("hex");
    const m = this.groups.get(key);
    if (!m || --m.count > 0) return;
    this.groups.delete(key);
    try {
      if (m.via === "ipv6") this.socket.leaveIpv6Group(group);
      else this.socket.dropMulticastMac(macBytes(ipv6MulticastMac(group)));
    } catch (err) {
      this.opts.log?.warn("leaving a solicited-node group failed", {
        interface: this.interfaceName,
        error: (err as Error).message,
      });
    }
  }

  private send(frame: Buffer): boolean {
    if (this.closed) return false;
    try {
      this.socket.send(frame);
      return true;
    } catch (err) {
      this.counters_.sendError();
      this.opts.log?.warn("sending a frame failed", {
        interface: this.interfaceName,
        error: (err as Error).message,
      });
      return false;
    }
  }

  // The receive path: every outcome is counted, nothing escapes to the event loop.
  private receive(
    err: NativeError | null,
    frame: Buffer | undefined,
    pktType: number | undefined,
    wireLength: number | undefined,
  ): void {
    try {
      if (err || !frame) {
        this.counters_.receiveError();
        this.opts.log?.warn("receiving on the packet socket failed", {
          interface: this.interfaceName,
          error: err?.message,
        });
        return;
      }
      this.counters_.frame();
      // Seen only in promiscuous mode: addressed to another host, not ours to answer.
      if (pktType === PacketType.otherHost) return;
      if (!mayConcern(frame, this.watched4)) {
        this.counters_.drop("notOurs");
        return;
      }
      if (!this.bucket.take(performance.now())) {
        this.counters_.drop("rateLimited");
        return;
      }
      const parsed = parseFrame(frame, wireLength ?? frame.length);
      if (!parsed.ok) {
        this.counters_.drop(parsed.reason);
        this.opts.log?.debug("dropped a frame", {
          interface: this.interfaceName,
          reason: parsed.reason,
          detail: parsed.detail,
        });
        return;
      }
      this.handle(parsed.packet);
    } catch (e) {
      this.counters_.receiveError();
      this.opts.log?.error("handling a frame failed", {
        interface: this.interfaceName,
        error: (e as Error).message,
      });
    }
  }

  private handle(packet: L2Packet): void {
    const claim = claimOf(packet);
    if (claim && claim.mac !== this.mac) {
      let probed = false;
      for (const w of [...(this.probes.get(claim.ip) ?? [])])
        if (!w.ignore.has(claim.mac)) {
          w.done({ conflict: true, mac: claim.mac });
          probed = true;
        }
      const owned = this.ownedSet.has(claim.ip);
      // A foreign answer to our probe is the conflict the operator must see in the metric too.
      if (owned || probed) this.counters_.ip(claim.ip, "foreignClaims");
      if (owned) this.opts.onForeignClaim?.({ interface: this.interfaceName, ...claim });
    }
    const reply = replyTo(packet, this.mac, this.ownedSet);
    if (!reply) return;
    this.counters_.ip(reply.ip, "requestsReceived");
    if (this.send(reply.frame)) this.counters_.ip(reply.ip, "responsesSent");
  }
}
