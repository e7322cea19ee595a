// What a client host on a lab segment sees: the kernel's own ARP/NDP resolution and neighbour
// table, and packet captures.
import { join } from "node:path";
import { systemTool } from "../../sys/tools.js";
import { run, waitFor, argv } from "../../sys/proc.js";
import type { Lab } from "./lab.js";

export interface Neighbour {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}

export async function neighbours(lab: Lab, host: string): Promise<Neighbour[]> {
  const out = await run(["ip", "-j", "-n", lab.ns(host), "neigh", "show"]);
  return (JSON.parse(out || "[]") as Neighbour[]).map((n) => ({ ...n, state: n.state ?? [] }));
}

/** The MAC a host's kernel holds for an address, if any. */
export async function neighbourMac(
  lab: Lab,
  host: string,
  ip: string,
): Promise<string | undefined> {
  return (await neighbours(lab, host)).find((n) => n.dst === ip && n.lladdr)?.lladdr;
}

const ARPING_MAC = /\[([0-9a-f:]{17})\]/i;
const NDISC6_MAC = /Target link-layer address:\s*([0-9A-F:]{17})/i;

/** Runs one resolution tool in `host`; the MAC its output names (lowercase), or undefined. */
async function resolveWith(
  lab: Lab,
  host: string,
  argv: string[],
  mac: RegExp,
): Promise<string | undefined> {
  const out = await lab.exec(host, argv).catch(() => "");
  return mac.exec(out)?.[1]?.toLowerCase();
}

/** One ARP request from `host` for `ip`; the MAC that answered, or undefined. */
export const arpResolve = (
  lab: Lab,
  host: string,
  dev: string,
  ip: string,
): Promise<string | undefined> =>
  resolveWith(lab, host, argv`${systemTool("arping")} -c 1 -w 2 -I ${dev} ${ip}`, ARPING_MAC);

/** One Neighbor Solicitation from `host` for `ip`; the MAC that answered, or undefined. */
export const ndpResolve = (
  lab: Lab,
  host: string,
  dev: string,
  ip: string,
): Promise<string | undefined> =>
  resolveWith(lab, host, argv`${systemTool("ndisc6")} -1 -r 2 -w 1000 ${ip} ${dev}`, NDISC6_MAC);

export interface Capture {
  /** Resolves once tcpdump listens (it can take a while to start on a loaded machine). */
  ready(): Promise<void>;
  /**
   * Stops the capture and returns tcpdump's decoding of it, one packet a line (-e -nn; with
   * `verbose`, -v adds the IP header's fields such as the TTL, on the same line for IPv4).
   */
  stop(opts?: { verbose?: boolean }): Promise<string[]>;
}

export function capture(lab: Lab, host: string, dev: string, filter: string): Capture {
  const file = join(lab.dir, `capture-${host}-${dev}-${Date.now()}.pcap`);
  const proc = lab.spawn(host, `tcpdump-${host}-${Date.now()}`, [
    systemTool("tcpdump"),
    "-i",
    dev,
    "-U",
    // Without it libpcap hands packets over in blocks, up to a second late, and a capture
    // stopped within that second loses them.
    "--immediate-mode",
    "-w",
    file,
    filter,
  ]);
  return {
    ready: () =>
      waitFor(
        `tcpdump on ${host}/${dev} to listen (log: ${proc.logFile})`,
        () => Promise.resolve(/listening on/.test(proc.log()) ? true : undefined),
        20_000,
        20,
      ).then(() => undefined),
    async stop(opts = {}) {
      await proc.stop();
      const flags = opts.verbose ? ["-e", "-nn", "-v"] : ["-e", "-nn"];
      const text = await run([systemTool("tcpdump"), "-r", file, ...flags]);
      return text.split("\n").filter(Boolean);
    },
  };
}

/** A capture line's "HH:MM:SS.ffffff" (tcpdump prints UTC here) as Unix ms on the day of `day`. */
export function captureTime(line: string, day: Date): number | undefined {
  const m = /^(\d\d):(\d\d):(\d\d)\.(\d{6})/.exec(line);
  if (!m) return undefined;
  const [h = 0, mi = 0, s = 0, us = 0] = m.slice(1).map(Number);
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), h, mi, s) + us / 1000;
}

/** tcpdump -e -nn lines → the ether source of every ARP reply and NA for `ip`. */
export function answerers(lines: readonly string[], ip: string): Set<string> {
  const out = new Set<string>();
  for (const l of lines) {
    const src = /^\S+ ([0-9a-f:]{17}) >/.exec(l)?.[1];
    if (!src) continue;
    if (l.includes(`Reply ${ip} is-at`) || l.includes(`advertisement, tgt is ${ip},`)) out.add(src);
  }
  return out;
}
