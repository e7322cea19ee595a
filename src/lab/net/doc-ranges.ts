// The lab may only use the documentation address ranges (RFC 5737, RFC 3849).
import { parseCidr, parseIp, rangeContains, type IpRange } from "../../api/formats/ip.js";

export const DOCUMENTATION_RANGES = [
  "192.0.2.0/24",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "2001:db8::/32",
];

const ranges = DOCUMENTATION_RANGES.map((r) => parseCidr(r) as IpRange);

export function isDocumentationAddress(text: string): boolean {
  const ip = parseIp(text);
  return ip !== undefined && ranges.some((r) => rangeContains(r, ip));
}
