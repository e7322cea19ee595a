// When a speaker's session came up and when its UPDATEs crossed the wire, taken by tcpdump in
// the receiving router's namespace, so that every speaker is timed by the same outside clock
// rather than by its own log.
import { waitFor } from "../../src/sys/proc.js";
import { systemTool } from "../../src/sys/tools.js";
import type { Lab } from "../../src/lab/net/index.js";

export interface WireTimes {
  /**
   * The last segment from the router that carries a KEEPALIVE before the first UPDATE: the
   * speaker is Established once it has read it (RFC 4271 §8.2.2, OpenConfirm).
   */
  established: number;
  /** The first segment from the speaker that starts an UPDATE. */
  first: number;
  /**
   * The last segment from the speaker carrying more than a KEEPALIVE (19 bytes): once the
   * router holds every prefix, the end of the speaker's burst.
   */
  last: number;
}

export interface UpdateCapture {
  /** Resolves once every tcpdump listens. */
  ready(): Promise<void>;
  /** Ends the captures; Unix ms as the kernel stamped the packets. */
  stop(): Promise<WireTimes>;
}

/**
 * BPF terms for the TCP payload of a segment. libpcap's `tcp[]` works over IPv4 only, so over
 * IPv6 the TCP header is found at its fixed offset 40 (the lab sends no extension headers).
 */
function payloadTerms(v6: boolean) {
  const tcpHeaderLen = v6 ? "((ip6[52]&0xf0)>>2)" : "((tcp[12]&0xf0)>>2)";
  return {
    isTcp: v6 ? "ip6[6] = 6" : "tcp",
    byte: (offset: number, size = 1) =>
      v6 ? `ip6[40+${tcpHeaderLen}+${offset}:${size}]` : `tcp[${tcpHeaderLen}+${offset}:${size}]`,
    length: v6 ? `(ip6[4:2] - ${tcpHeaderLen})` : `(ip[2:2] - ((ip[0]&0xf)<<2) - ${tcpHeaderLen})`,
  };
}

// A BGP message: 16-byte marker, 2-byte length, 1-byte type.
const LENGTH = 16;
const TYPE = 18;
const KEEPALIVE_LEN = 19;
const [OPEN, UPDATE, KEEPALIVE] = [1, 2, 4];

/**
 * Segments from `src` whose payload starts with an UPDATE, or with a KEEPALIVE followed by an
 * UPDATE (a speaker may write both at once when the session comes up).
 */
export function firstUpdateFilter(src: string): string {
  const p = payloadTerms(src.includes(":"));
  const startsUpdate = `${p.byte(TYPE)} = ${UPDATE}`;
  const afterKeepalive = `(${p.byte(TYPE)} = ${KEEPALIVE} and ${p.byte(KEEPALIVE_LEN + TYPE)} = ${UPDATE})`;
  return `src host ${src} and ${p.isTcp} and (${startsUpdate} or ${afterKeepalive})`;
}

/** Segments from `src` with more TCP payload than one KEEPALIVE. */
export function dataFilter(src: string): string {
  const p = payloadTerms(src.includes(":"));
  return `src host ${src} and ${p.isTcp} and ${p.length} > ${KEEPALIVE_LEN}`;
}

/** Segments from `src` to `dst` that start with a KEEPALIVE, or with an OPEN and more after it. */
export function keepaliveFilter(src: string, dst: string): string {
  const p = payloadTerms(src.includes(":"));
  const startsKeepalive = `${p.byte(TYPE)} = ${KEEPALIVE}`;
  const afterOpen = `(${p.byte(TYPE)} = ${OPEN} and ${p.length} > ${p.byte(LENGTH, 2)})`;
  return `src host ${src} and dst host ${dst} and ${p.isTcp} and (${startsKeepalive} or ${afterOpen})`;
}

/** tcpdump -tt prints "<seconds>.<microseconds> IP …". */
export function parseTcpdumpEpoch(line: string): number | undefined {
  const m = /^(\d+)\.(\d{6}) /.exec(line);
  return m ? Number(m[1]) * 1000 + Number(m[2]) / 1000 : undefined;
}

const epochs = (text: string): number[] =>
  text
    .split("\n")
    .map(parseTcpdumpEpoch)
    .filter((t) => t !== undefined);

/** Captures on `dev` in `host` (the router) the session between `router` and `speaker`. */
export function captureUpdates(
  lab: Lab,
  host: string,
  dev: string,
  addresses: { router: string; speaker: string },
): UpdateCapture {
  const tcpdump = (what: string, extra: string[], filter: string) =>
    lab.spawn(host, `tcpdump-${what}-${host}-${Date.now()}`, [
      systemTool("tcpdump"),
      "-i",
      dev,
      "-n",
      "-tt",
      "-l",
      // Packets handed over at once, not in blocks: the time is the kernel's either way, but
      // the line must be there when the benchmark asks.
      "--immediate-mode",
      // Only headers and the first BGP bytes are needed; a short snapshot keeps tcpdump light.
      "-s",
      "128",
      ...extra,
      filter,
    ]);
  const { router, speaker } = addresses;
  const procs = {
    first: tcpdump("first-update", ["-c", "1"], firstUpdateFilter(speaker)),
    data: tcpdump("data", [], dataFilter(speaker)),
    keepalive: tcpdump("keepalive", [], keepaliveFilter(router, speaker)),
  };
  const all = Object.values(procs);
  return {
    ready: () =>
      waitFor(
        `tcpdump on ${host}/${dev} to listen (logs: ${all.map((p) => p.logFile).join(", ")})`,
        () => Promise.resolve(all.every((p) => /listening on/.test(p.log())) ? true : undefined),
        20_000,
        20,
      ).then(() => undefined),
    async stop() {
      const first = await waitFor(
        `an UPDATE from ${speaker} in the capture (log: ${procs.first.logFile})`,
        () => Promise.resolve(epochs(procs.first.log())[0]),
        10_000,
        20,
      );
      for (const p of all) await p.stop();
      const last = epochs(procs.data.log()).at(-1);
      const established = epochs(procs.keepalive.log())
        .filter((t) => t <= first)
        .at(-1);
      if (last === undefined || established === undefined) {
        throw new Error(
          `incomplete capture of ${speaker}: see ${procs.data.logFile}, ${procs.keepalive.logFile}`,
        );
      }
      return { established, first, last };
    },
  };
}
