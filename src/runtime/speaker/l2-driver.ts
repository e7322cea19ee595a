// The L2 driver of the speaker: this node's placements → one L2Announcer per usable interface.
// An address new to this node is probed for a foreign owner first (RFC 5227 style); while a
// conflict stands it is not announced and the shell is told, so it can raise an event.
import { parseIp, type Ip } from "../ip/ip.js";
import type { Logger } from "../log.js";
import { links } from "../native/index.js";
import type { Placement } from "./election/l2-owners.js";
import { L2Announcer } from "./l2/announcer.js";
import { interfaceFacts, selectInterfaces } from "./l2/interfaces.js";
import type { L2CountersSnapshot } from "./l2/counters.js";
import type { L2Driver } from "./speaker.js";

export interface L2DriverOptions {
  log: Logger;
  /** Interface name patterns never used (default: the announcer module's list). */
  excludePatterns?: readonly string[];
  /** Probe an address before first announcing it (default true). */
  probe: boolean;
  probeTimeoutMs?: number;
  onConflict: (c: { ip: string; interface: string; mac: string; services: string[] }) => void;
  onProblem: (p: { services: string[]; message: string }) => void;
}

export class NativeL2Driver implements L2Driver {
  private readonly announcers = new Map<string, L2Announcer>();
  /** Addresses this node announced last time (no probe needed to keep them). */
  private announced = new Set<string>();

  constructor(private readonly opts: L2DriverOptions) {}

  async apply(owned: Placement[], placedBefore: ReadonlySet<string>): Promise<void> {
    const facts = links().map(interfaceFacts);
    const byInterface = new Map<string, Ip[]>();
    const now = new Set<string>();
    for (const p of owned) {
      const ip = parseIp(p.ip);
      if (!ip) continue;
      const sel = selectInterfaces(facts, p.interfaces, this.opts.excludePatterns);
      if (sel.missing.length)
        this.opts.onProblem({
          services: p.services,
          message: `interface(s) ${sel.missing.join(", ")} named by an L2Advertisement do not exist on this node`,
        });
      if (!sel.selected.length) continue;
      // A takeover from another speaker is not probed: the old owner may still be answering,
      // and the failover must not wait.
      if (!this.announced.has(p.ip) && !placedBefore.has(p.ip) && this.opts.probe) {
        const conflict = await this.probe(
          ip,
          sel.selected.map((s) => s.name),
        );
        if (conflict) {
          this.opts.onConflict({ ip: p.ip, ...conflict, services: p.services });
          continue;
        }
      }
      now.add(p.ip);
      for (const s of sel.selected)
        byInterface.set(s.name, [...(byInterface.get(s.name) ?? []), ip]);
    }
    for (const [name, a] of this.announcers)
      if (!byInterface.has(name)) {
        a.setOwned([]);
      }
    for (const [name, ips] of byInterface) {
      try {
        this.announcer(name).setOwned(ips);
      } catch (err) {
        this.opts.log.warn("cannot announce on interface", { interface: name, error: String(err) });
      }
    }
    this.announced = now;
  }

  private announcer(name: string): L2Announcer {
    let a = this.announcers.get(name);
    if (!a) {
      a = L2Announcer.open({ interface: name, log: this.opts.log });
      this.announcers.set(name, a);
    }
    return a;
  }

  /** The first foreign answer for ip on any of the interfaces, or undefined. */
  private async probe(
    ip: Ip,
    interfaces: string[],
  ): Promise<{ interface: string; mac: string } | undefined> {
    const results = await Promise.all(
      interfaces.map(async (name) => {
        const r = await this.announcer(name).probe(ip, {
          timeoutMs: this.opts.probeTimeoutMs ?? 300,
        });
        return r.conflict ? { interface: name, mac: r.mac } : undefined;
      }),
    );
    return results.find((r) => r !== undefined);
  }

  counters(): L2CountersSnapshot[] {
    return [...this.announcers.values()].map((a) => a.counters());
  }

  close(): void {
    for (const a of this.announcers.values()) a.close();
    this.announcers.clear();
  }
}
