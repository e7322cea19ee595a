// The L2 driver of the speaker: this node's placements → which interfaces answer for which
// addresses, handed to NodeAnnouncers. An address new to this node is probed for a foreign owner
// first (RFC 5227 style); a foreign answer holds it back, and it is probed again in the
// background until that host lets go. What happened to each address goes back to the shell,
// which turns it into ServiceL2Status conditions and events.
import { formatIp, parseIp, type Ip } from "../../api/formats/ip.js";
import { REASON } from "../../api/reasons.js";
import type { Logger } from "../log.js";
import type { Placement } from "./l2-election.js";
import {
  currentInterfaces,
  NodeAnnouncers,
  selectInterfaces,
  type IpCounters,
  type L2CountersSnapshot,
} from "../l2/index.js";
import type { L2Driver } from "./drivers.js";
import type { L2AddressOutcome, L2Problem } from "./status-plan.js";

export interface L2DriverOptions {
  log: Logger;
  /** Interface name patterns never used (default: the interfaces module's list). */
  excludePatterns?: readonly string[];
  /** Probe an address before first announcing it (default true). */
  probe: boolean;
  probeTimeoutMs?: number;
  /** How often an address held back by a conflict is probed again (ms, default 5000). */
  reprobeMs?: number;
  /** A held-back address became free (or a suspected conflict was confirmed): run a pass. */
  onChange?: () => void;
}

interface Conflict {
  interface: string;
  mac: string;
  /** A first foreign answer can be the previous owner still letting go; two make a conflict. */
  confirmed: boolean;
}

/** How soon a first foreign answer is checked again (a handover settles well within this). */
const CONFIRM_AFTER_MS = 1000;

export class NativeL2Driver implements L2Driver {
  private readonly announcers: NodeAnnouncers;
  /** Addresses this node answered for after the last pass (kept without a new probe). */
  private announced = new Set<string>();
  /** Addresses held back because another host answered our probe. */
  private readonly conflicts = new Map<string, Conflict>();
  /** The owned placements of the last pass, for the background re-probe. */
  private owned: Placement[] = [];
  private reprobeTimer: NodeJS.Timeout | undefined;
  /** The other speakers' MACs: their answers are a handover in progress, not a conflict. */
  private speakerMacs: string[] = [];
  private closed = false;

  constructor(private readonly opts: L2DriverOptions) {
    this.announcers = new NodeAnnouncers({ log: opts.log }, opts.log);
  }

  async apply(
    owned: Placement[],
    placedBefore: ReadonlySet<string>,
    speakerMacs: ReadonlySet<string> = new Set(),
  ): Promise<L2AddressOutcome[]> {
    this.owned = owned;
    this.speakerMacs = [...speakerMacs];
    const facts = currentInterfaces();
    const planned = owned.flatMap((p) => {
      const ip = parseIp(p.ip);
      if (!ip) return [];
      const sel = selectInterfaces(facts, p.interfaces, this.opts.excludePatterns);
      return [{ p, ip, names: sel.selected.map((s) => s.name), missing: sel.missing }];
    });
    for (const ip of this.conflicts.keys())
      if (!planned.some((x) => x.p.ip === ip)) this.conflicts.delete(ip);
    // A takeover from another speaker is not probed (the old owner may still be answering and
    // the failover must not wait); probes of new addresses run side by side.
    await Promise.all(
      planned.map(async ({ p, ip, names }) => {
        const fresh = !this.announced.has(p.ip) && !placedBefore.has(p.ip);
        if (names.length && this.opts.probe && fresh && !this.conflicts.has(p.ip))
          await this.probe(ip, names);
      }),
    );

    const assignment = new Map<string, Ip[]>();
    const outcomes: L2AddressOutcome[] = [];
    for (const { p, ip, names, missing } of planned) {
      const problems: L2Problem[] = [];
      if (missing.length)
        problems.push({
          reason: REASON.interfaceMissing,
          message: `interface(s) ${missing.join(", ")} named by an L2Advertisement for ${p.ip} do not exist on this node; fix the L2Advertisement's interfaces`,
        });
      const conflict = this.conflicts.get(p.ip);
      if (conflict?.confirmed)
        problems.push({
          reason: REASON.ipConflict,
          message: `${p.ip} is answered by ${conflict.mac} on ${conflict.interface}, a host outside this cluster; not announced until it lets go of the address or the address leaves the pool`,
        });
      else if (conflict)
        problems.push({
          reason: REASON.probing,
          message: `${p.ip} was answered by ${conflict.mac} on ${conflict.interface}; checking again before announcing it`,
        });
      else if (!names.length && !missing.length)
        problems.push({
          reason: REASON.noUsableInterface,
          message: `no interface of this node can answer for ${p.ip} (all are down, enslaved, NOARP or excluded)`,
        });
      const announce = names.length > 0 && !conflict;
      if (announce) for (const n of names) assignment.set(n, [...(assignment.get(n) ?? []), ip]);
      outcomes.push({
        ip: p.ip,
        services: p.services,
        interfaces: announce ? names : [],
        problems,
      });
    }
    const failures = this.announcers.apply(assignment);
    // Counts stay for what this node is asked to answer for, held back or not (a conflict's
    // foreign claims are the evidence); the rest go.
    this.announcers.retainCounters(new Set(planned.map((x) => formatIp(x.ip))));
    for (const f of failures)
      for (const o of outcomes)
        if (o.interfaces.includes(f.interface)) {
          o.interfaces = o.interfaces.filter((n) => n !== f.interface);
          o.problems.push({
            reason: REASON.interfaceFailed,
            message: `cannot answer for ${o.ip} on ${f.interface}: ${f.message}`,
          });
        }
    this.announced = new Set(outcomes.filter((o) => o.interfaces.length).map((o) => o.ip));
    this.scheduleReprobe();
    return outcomes;
  }

  /** Records a foreign answer on any of the interfaces as a (suspected) conflict. */
  private async probe(ip: Ip, interfaces: readonly string[]): Promise<void> {
    const text = formatIp(ip);
    const results = await Promise.all(
      interfaces.map(async (name) => {
        try {
          const r = await this.announcers.probe(name, ip, {
            timeoutMs: this.opts.probeTimeoutMs ?? 300,
            ignoreMacs: this.speakerMacs,
          });
          return r.conflict ? { interface: name, mac: r.mac } : undefined;
        } catch (err) {
          // Announcing on it fails the same way and is reported then.
          this.opts.log.warn("cannot probe on an interface", {
            interface: name,
            ip: text,
            error: String(err),
          });
          return undefined;
        }
      }),
    );
    const found = results.find((r) => r !== undefined);
    const before = this.conflicts.get(text);
    if (!found) {
      if (before) this.conflicts.delete(text);
      return;
    }
    this.conflicts.set(text, { ...found, confirmed: !!before });
    if (before && !before.confirmed)
      this.opts.log.warn("address answered by another host; not announcing it", {
        ip: text,
        ...found,
      });
  }

  private scheduleReprobe(): void {
    if (this.reprobeTimer || this.closed || !this.conflicts.size) return;
    const unconfirmed = [...this.conflicts.values()].some((c) => !c.confirmed);
    this.reprobeTimer = setTimeout(
      () => void this.reprobe(),
      unconfirmed ? CONFIRM_AFTER_MS : (this.opts.reprobeMs ?? 5000),
    );
  }

  private async reprobe(): Promise<void> {
    this.reprobeTimer = undefined;
    if (this.closed) return;
    const facts = currentInterfaces();
    const before = new Map([...this.conflicts].map(([ip, c]) => [ip, c.confirmed]));
    await Promise.all(
      this.owned
        .filter((p) => this.conflicts.has(p.ip))
        .flatMap((p) => {
          const ip = parseIp(p.ip);
          const sel = selectInterfaces(facts, p.interfaces, this.opts.excludePatterns);
          return ip
            ? [
                this.probe(
                  ip,
                  sel.selected.map((s) => s.name),
                ),
              ]
            : [];
        }),
    );
    if (this.closed) return;
    const changed = [...before].some(([ip, was]) => this.conflicts.get(ip)?.confirmed !== was);
    if (changed) this.opts.onChange?.();
    else this.scheduleReprobe();
  }

  /** Per-interface counters of the open interfaces (drops by reason). */
  counters(): L2CountersSnapshot[] {
    return this.announcers.counters();
  }

  /** Per-address counters summed over interfaces, closed ones included. */
  countersByIp(): Record<string, IpCounters> {
    return this.announcers.countersByIp();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reprobeTimer);
    this.announcers.close();
  }
}
