// IP prefixes as carried in NLRI fields (RFC 4271 §4.3, RFC 4760 §5): a length octet, then the
// fewest octets that hold that many bits. Trailing bits are irrelevant on receipt (masked off).
import { bitsOf, formatIp, parseCidr, parseIp, type Family } from "../../../api/formats/ip.js";
import type { BgpError } from "../errors.js";
import type { Reader, Writer } from "./bytes.js";

export interface Prefix {
  family: Family;
  /** The network address, host bits zero. */
  addr: bigint;
  length: number;
}

/** AFI (RFC 4760 / IANA address family numbers) of each IP family. */
export const AFI = { 4: 1, 6: 2 } as const;
export const SAFI_UNICAST = 1;

export const familyOfAfi = (afi: number): Family | undefined =>
  afi === 1 ? 4 : afi === 2 ? 6 : undefined;

/** Parses "203.0.113.10/32"; undefined when it is not a prefix or has host bits set. */
export function parsePrefix(text: string): Prefix | undefined {
  const range = parseCidr(text);
  const [addr = "", length = ""] = text.split("/");
  if (!range || parseIp(addr)?.value !== range.first) return undefined;
  return { family: range.family, addr: range.first, length: Number(length) };
}

export const formatPrefix = (p: Prefix): string =>
  `${formatIp({ family: p.family, value: p.addr })}/${p.length}`;

function maskTo(value: bigint, family: Family, length: number): bigint {
  const host = BigInt(bitsOf(family) - length);
  return (value >> host) << host;
}

export const prefixWireLength = (p: Prefix): number => 1 + Math.ceil(p.length / 8);

export function writePrefix(w: Writer, p: Prefix): void {
  const octets = Math.ceil(p.length / 8);
  w.u8(p.length);
  if (octets === 0) return;
  // Through hex: one conversion instead of a BigInt shift per octet.
  const hex = p.addr.toString(16).padStart(bitsOf(p.family) / 4, "0");
  w.bytes(Buffer.from(hex.slice(0, octets * 2), "hex"));
}

/** Decodes prefixes until the reader is exhausted; a bad length or a short field is `err`. */
export function readPrefixes(
  r: Reader,
  family: Family,
  err: (detail: string) => BgpError,
): Prefix[] {
  const out: Prefix[] = [];
  const bits = bitsOf(family);
  while (r.remaining > 0) {
    const length = r.u8("prefix length");
    if (length > bits) throw err(`IPv${family} prefix length ${length} exceeds ${bits}`);
    const octets = Math.ceil(length / 8);
    if (octets > r.remaining) {
      throw err(`IPv${family} prefix /${length} needs ${octets} octets, ${r.remaining} remain`);
    }
    const bytes = r.bytes(octets, "prefix");
    const v = octets ? BigInt(`0x${bytes.toString("hex")}`) << BigInt(bits - octets * 8) : 0n;
    out.push({ family, addr: maskTo(v, family, length), length });
  }
  return out;
}

/** IPv4 address as 4 octets / IPv6 as 16. */
export function writeAddress(w: Writer, text: string, family: Family): void {
  const ip = parseIp(text);
  if (!ip || ip.family !== family) throw new Error(`"${text}" is not an IPv${family} address`);
  if (family === 4) {
    w.u32(Number(ip.value));
    return;
  }
  for (let i = 3; i >= 0; i--) w.u32(Number((ip.value >> BigInt(i * 32)) & 0xffffffffn));
}

export function readAddress(r: Reader, family: Family, what: string): string {
  if (family === 4) return formatIp({ family, value: BigInt(r.u32(what)) });
  let v = 0n;
  for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(r.u32(what));
  return formatIp({ family, value: v });
}
