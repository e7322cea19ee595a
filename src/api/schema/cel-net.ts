// CEL expressions over IP addresses, CIDRs and BGP communities, built on the Kubernetes CEL IP and
// CIDR libraries (isIP, ip, isCIDR, cidr). They are strings because the API server evaluates them;
// tests run every rule against the real kube-apiserver.

const prefixList = (max: number): string =>
  `[${Array.from({ length: max }, (_, i) => i).join(",")}]`;

/**
 * CEL: a <= b for two IP strings of the same family. CEL has no IP ordering, so find the first
 * bit where they differ: at that prefix length p, a's /p network contains b but a's /(p+1) does
 * not, and a <= b exactly when a sits in the lower half (same network address at /p and /(p+1)).
 */
export function celIpLessOrEqual(a: string, b: string): string {
  const net = (len: string): string => `cidr(string(a) + '/' + string(${len}))`;
  return (
    `cel.bind(a, ip(${a}), cel.bind(b, ip(${b}), string(a) == string(b) || ` +
    `(a.family() == 4 ? ${prefixList(32)} : ${prefixList(128)}).exists(p, ` +
    `${net("p")}.containsIP(b) && !${net("p + 1")}.containsIP(b) && ` +
    `string(${net("p")}.masked().ip()) == string(${net("p + 1")}.masked().ip()))))`
  );
}

const rangeParts = "self.split('-')";
const rangeStart = `${rangeParts}[0].trim()`;
const rangeEnd = `${rangeParts}[1].trim()`;

/** CEL (on a string): "start-end" where both ends are IPs of one family. */
export const CEL_IS_IP_RANGE =
  `size(${rangeParts}) == 2 && isIP(${rangeStart}) && isIP(${rangeEnd}) && ` +
  `ip(${rangeStart}).family() == ip(${rangeEnd}).family()`;

/** CEL (on a string): the range's start is not after its end (only meaningful when a range). */
export const CEL_RANGE_ORDERED = `!(${CEL_IS_IP_RANGE}) || ${celIpLessOrEqual(rangeStart, rangeEnd)}`;

/** CEL (on a string): a standard community "AS:value", both parts 0..65535. */
export const CEL_IS_STANDARD_COMMUNITY =
  "self.matches('^[0-9]{1,5}:[0-9]{1,5}$') && " +
  "int(self.split(':')[0]) <= 65535 && int(self.split(':')[1]) <= 65535";

/** CEL (on a string): a large community "large:global:local1:local2", parts 0..4294967295. */
export const CEL_IS_LARGE_COMMUNITY =
  "self.matches('^large:[0-9]{1,10}:[0-9]{1,10}:[0-9]{1,10}$') && " +
  "[1, 2, 3].all(i, int(self.split(':')[i]) <= 4294967295)";

export const COMMUNITY_HELP =
  "a community is AS:value (each 0-65535, e.g. 64500:100) or large:global:local1:local2 (each 0-4294967295)";
