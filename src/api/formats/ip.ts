// IP addresses as (family, bigint) pairs: parsing, canonical text (RFC 5952), ranges.
import { isIP } from "node:net";

export type Family = 4 | 6;

export interface Ip {
  family: Family;
  value: bigint;
}

/** An inclusive range of addresses of one family. */
export interface IpRange {
  family: Family;
  first: bigint;
  last: bigint;
}

export const bitsOf = (family: Family): number => (family === 4 ? 32 : 128);

function parseV4(text: string): bigint {
  return text.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

/** Parses an IPv4 or IPv6 address (no zone, no prefix); undefined when it is not one. */
export function parseIp(text: string): Ip | undefined {
  if (text.includes("%")) return undefined; // zones identify links, not Service addresses
  const family = isIP(text);
  if (family === 4) return { family, value: parseV4(text) };
  if (family !== 6) return undefined;
  let body = text.toLowerCase();
  let tail: bigint[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted) {
    const v4 = parseV4(dotted[2] ?? "");
    tail = [v4 >> 16n, v4 & 0xffffn];
    body = (dotted[1] ?? "").endsWith("::") ? (dotted[1] ?? "") : (dotted[1] ?? "").slice(0, -1);
  }
  const toGroups = (s: string) =>
    s === "" ? [] : s.split(":").map((g) => BigInt(parseInt(g, 16)));
  const [headText = "", tailText] = body.split("::");
  const head = toGroups(headText);
  const rest = tailText === undefined ? [] : toGroups(tailText);
  const fill = 8 - tail.length - head.length - rest.length;
  const groups = [
    ...head,
    ...Array<bigint>(tailText === undefined ? 0 : fill).fill(0n),
    ...rest,
    ...tail,
  ];
  return { family, value: groups.reduce((acc, g) => (acc << 16n) | g, 0n) };
}

/** Canonical text: dotted quad, or RFC 5952 (lowercase, longest zero run compressed). */
export function formatIp(ip: Ip): string {
  // Through the value's hex text and small numbers: every BigInt shift or mask allocates, and
  // the controller formats addresses on every reconcile.
  if (ip.family === 4) {
    const v = Number(ip.value);
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const text = ip.value.toString(16).padStart(32, "0");
  const groups: number[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(text.slice(i, i + 4), 16));
  let bestStart = -1;
  let bestLen = 1; // RFC 5952: a single zero group is not compressed
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

export const canonicalIp = (text: string): string | undefined => {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : undefined;
};

/** Parses "a.b.c.d/len" (host bits allowed, as Go's net.ParseCIDR) into its whole network. */
export function parseCidr(text: string): IpRange | undefined {
  const [addr, lenText, extra] = text.split("/");
  if (extra !== undefined || !addr || !lenText || !/^\d{1,3}$/.test(lenText)) return undefined;
  const ip = parseIp(addr);
  const len = Number(lenText);
  if (!ip || len > bitsOf(ip.family)) return undefined;
  const hostBits = BigInt(bitsOf(ip.family) - len);
  const first = (ip.value >> hostBits) << hostBits;
  return { family: ip.family, first, last: first + (1n << hostBits) - 1n };
}

/** A pool entry: a CIDR, or "start-end" (spaces allowed around "-") of one family, start <= end. */
export function parsePoolEntry(text: string): IpRange | string {
  if (text.includes("/")) return parseCidr(text.trim()) ?? `"${text}" is not a valid CIDR`;
  const parts = text.split("-").map((p) => p.trim());
  if (parts.length !== 2) return `"${text}" is neither a CIDR nor a start-end range`;
  const [a, b] = parts.map(parseIp);
  if (!a || !b) return `"${text}": both ends of a range must be IP addresses`;
  if (a.family !== b.family) return `"${text}": both ends of a range must be of one IP family`;
  if (a.value > b.value) return `"${text}": range start is after range end`;
  return { family: a.family, first: a.value, last: b.value };
}

export const rangeSize = (r: IpRange): bigint => r.last - r.first + 1n;

export const rangeContains = (r: IpRange, ip: Ip): boolean =>
  r.family === ip.family && ip.value >= r.first && ip.value <= r.last;

export const rangesOverlap = (a: IpRange, b: IpRange): boolean =>
  a.family === b.family && a.first <= b.last && b.first <= a.last;

/** IPv4 addresses ending in .0 or .255, which some old clients mishandle (avoidBuggyIPs). */
export const isBuggyIp = (ip: Ip): boolean =>
  ip.family === 4 && ((ip.value & 255n) === 0n || (ip.value & 255n) === 255n);

/** The prefix lengths of the fewest CIDRs that exactly cover the range. */
export function cidrLengthsOf(r: IpRange): number[] {
  const bits = bitsOf(r.family);
  const out: number[] = [];
  let first = r.first;
  while (first <= r.last) {
    // the largest aligned block starting at `first` that stays inside the range
    let host = 0;
    while (
      host < bits &&
      (first & ((1n << BigInt(host + 1)) - 1n)) === 0n &&
      first + (1n << BigInt(host + 1)) - 1n <= r.last
    )
      host++;
    out.push(bits - host);
    first += 1n << BigInt(host);
  }
  return out;
}

/** The address masked to `len` bits, as canonical "address/len" text. */
export function prefixOf(ip: Ip, len: number): string {
  const host = BigInt(bitsOf(ip.family) - len);
  return `${formatIp({ family: ip.family, value: (ip.value >> host) << host })}/${len}`;
}

/**
 * An address as the Kubernetes CEL IP library accepts it (`isIP`, `ip()`): besides what parseIp
 * refuses, the IPv4-mapped IPv6 form (::ffff:192.0.2.1) is not an address there.
 */
export function parseApiIp(text: string): Ip | undefined {
  const ip = parseIp(text);
  if (!ip || (ip.family === 6 && ip.value >> 32n === 0xffffn)) return undefined;
  return ip;
}
