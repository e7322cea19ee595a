// NodeAnnouncers: one InterfaceAnnouncer per interface that has addresses to answer for, opened and closed
// as the assignment changes; what the speaker drives once it knows which addresses this node
// owns and on which interfaces.
import { formatIp, type Ip } from "../../api/formats/ip.js";
import type { Logger } from "../log.js";
import { links } from "../native/index.js";
import {
  InterfaceAnnouncer,
  type InterfaceAnnouncerOptions,
  type ProbeOptions,
  type ProbeResult,
} from "./interface-announcer.js";
import {
  addIpCounters,
  zeroIpCounters,
  type IpCounters,
  type L2CountersSnapshot,
} from "./counters.js";
import { interfaceFacts, type InterfaceFacts } from "./interfaces.js";

/** The interfaces of this node's network namespace, as selection needs them. */
export const currentInterfaces = (): InterfaceFacts[] => links().map(interfaceFacts);

export interface InterfaceFailure {
  interface: string;
  /** errno name when the system refused (EPERM without CAP_NET_RAW, ENODEV, …). */
  code: string | undefined;
  message: string;
}

type SharedOptions = Omit<InterfaceAnnouncerOptions, "interface">;

export class NodeAnnouncers {
  private readonly open = new Map<string, InterfaceAnnouncer>();
  /** Counts of announcers already closed, so the per-address totals never go backwards. */
  private readonly retired: Record<string, IpCounters> = {};

  constructor(
    private readonly opts: SharedOptions = {},
    private readonly log?: Logger,
  ) {}

  /**
   * Makes each listed interface answer for exactly its addresses; interfaces not listed (or
   * listed with none) are closed. Interfaces that cannot be opened are returned, not thrown:
   * the others keep working.
   */
  apply(assignment: ReadonlyMap<string, readonly Ip[]>): InterfaceFailure[] {
    const failures: InterfaceFailure[] = [];
    const now = new Map(currentInterfaces().map((f) => [f.name, f]));
    for (const [name, announcer] of this.open) {
      // A re-created interface (new index) or a changed MAC needs a new socket and new replies.
      const f = now.get(name);
      const stale = !f || f.index !== announcer.ifindex || f.mac !== announcer.mac;
      if (stale || !assignment.get(name)?.length) this.retire(name, announcer);
    }
    for (const [name, ips] of assignment) {
      if (!ips.length) continue;
      try {
        this.opened(name).setOwned(ips);
      } catch (err) {
        const e = err as Error & { code?: string };
        failures.push({ interface: name, code: e.code, message: e.message });
        this.log?.warn("cannot answer ARP/NDP on an interface", {
          interface: name,
          ips: ips.map(formatIp),
          error: e.message,
        });
      }
    }
    return failures;
  }

  /**
   * Asks whether another host answers for `ip` on interface `name`, opening the interface if it
   * is not open yet (a later apply closes it again when it gets no addresses). Throws when the
   * interface cannot be opened.
   */
  probe(name: string, ip: Ip, opts?: ProbeOptions): Promise<ProbeResult> {
    return this.opened(name).probe(ip, opts);
  }

  get(name: string): InterfaceAnnouncer | undefined {
    return this.open.get(name);
  }

  interfaces(): string[] {
    return [...this.open.keys()];
  }

  /** Per-interface counters of the open announcers. */
  counters(): L2CountersSnapshot[] {
    return [...this.open.values()].map((a) => a.counters());
  }

  /**
   * Forgets the per-address counts of every address not in `keep` (and not owned or probed
   * now): the series of an address this node gave up go with it, so a node that owns addresses
   * in turn over months does not keep one per address it ever had.
   */
  retainCounters(keep: ReadonlySet<string>): void {
    const owned = new Set([...this.open.values()].flatMap((a) => a.owned().map(formatIp)));
    for (const ip of Object.keys(this.retired))
      if (!keep.has(ip) && !owned.has(ip)) delete this.retired[ip];
    for (const a of this.open.values()) a.retainCounters(keep);
  }

  /** Per-address counters summed over interfaces, closed ones included (upstream's `ip` label). */
  countersByIp(): Record<string, IpCounters> {
    const out = sumByIp(this.counters());
    for (const [ip, c] of Object.entries(this.retired))
      addIpCounters((out[ip] ??= zeroIpCounters()), c);
    return out;
  }

  close(): void {
    for (const [name, a] of this.open) this.retire(name, a);
  }

  private opened(name: string): InterfaceAnnouncer {
    let a = this.open.get(name);
    if (!a) {
      a = InterfaceAnnouncer.open({ ...this.opts, interface: name });
      this.open.set(name, a);
    }
    return a;
  }

  private retire(name: string, announcer: InterfaceAnnouncer): void {
    for (const [ip, c] of Object.entries(announcer.counters().perIp))
      addIpCounters((this.retired[ip] ??= zeroIpCounters()), c);
    announcer.close();
    this.open.delete(name);
  }
}

export function sumByIp(snapshots: readonly L2CountersSnapshot[]): Record<string, IpCounters> {
  const out: Record<string, IpCounters> = {};
  for (const s of snapshots)
    for (const [ip, c] of Object.entries(s.perIp)) addIpCounters((out[ip] ??= zeroIpCounters()), c);
  return out;
}
