// Addresses between wire bytes and the project's Ip values / canonical text.
import { formatIp, parseIp, type Family, type Ip } from "../../api/formats/ip.js";

const byteLength = (family: Family): number => (family === 4 ? 4 : 16);

export function ipToBytes(ip: Ip): Buffer {
  const n = byteLength(ip.family);
  const out = Buffer.alloc(n);
  let v = ip.value;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 255n);
    v >>= 8n;
  }
  return out;
}

export function ipFromBytes(bytes: Uint8Array, offset: number, family: Family): Ip {
  let value = 0n;
  for (let i = 0; i < byteLength(family); i++)
    value = (value << 8n) | BigInt(bytes[offset + i] ?? 0);
  return { family, value };
}

/** Canonical text of the address at `offset` (dotted quad or RFC 5952). */
export const ipTextAt = (bytes: Uint8Array, offset: number, family: Family): string =>
  formatIp(ipFromBytes(bytes, offset, family));

export function textToBytes(text: string): Buffer {
  const ip = parseIp(text);
  if (!ip) throw new Error(`"${text}" is not an IP address`);
  return ipToBytes(ip);
}
