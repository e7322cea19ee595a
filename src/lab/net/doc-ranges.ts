// The lab may only use the documentation address ranges (RFC 5737, RFC 3849).
import { isIP } from "node:net";

export const DOCUMENTATION_RANGES = [
  "192.0.2.0/24",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "2001:db8::/32",
];

/** An IP address as a bigint plus its family; undefined when not an address. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  const family = isIP(text);
  if (family === 4) {
    const value = text.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
    return { family, value };
  }
  if (family === 6) {
    let body = text.toLowerCase();
    if (body.includes(".")) return undefined; // embedded IPv4 forms are not used in the lab
    const [head, tail] = body.includes("::") ? body.split("::") : [body, undefined];
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const groups =
      tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
    body = groups.join(":");
    const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
    return { family, value };
  }
  return undefined;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, lenText] = cidr.split("/");
  const net = parseIp(base ?? "");
  const addr = parseIp(ip);
  if (!net || !addr || net.family !== addr.family) return false;
  const bits = net.family === 4 ? 32 : 128;
  const shift = BigInt(bits - Number(lenText));
  return net.value >> shift === addr.value >> shift;
}

export function isDocumentationAddress(ip: string): boolean {
  return DOCUMENTATION_RANGES.some((r) => cidrContains(r, ip));
}
