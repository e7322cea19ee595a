// CEL expressions over IP addresses, CIDRs and BGP communities, built on the Kubernetes CEL IP and
// CIDR libraries (isIP, ip, isCIDR, cidr). They are strings because the API server evaluates them;
// tests run every rule against the real kube-apiserver.

/** CEL: an IPv4 string as an integer (isIP has already rejected anything but 4 octets). */
function celIpv4Value(x: string): string {
  const octet = (i: number) => `int(${x}.split('.')[${i}])`;
  return `(${octet(0)} * 16777216 + ${octet(1)} * 65536 + ${octet(2)} * 256 + ${octet(3)})`;
}

/**
 * CEL: IPv6 a <= b. CEL has no IP ordering and this API server offers neither cel.bind nor a
 * cost bound for join(), computed strings or a comprehension over a list of suffixes (it refuses
 * that form as over budget), so the loop over prefix lengths is unrolled with literal suffixes: at
 * the first bit p where a and b differ, a's /p network contains b, a's /(p+1) does not, and
 * a <= b exactly when a's bit p is 0 (its /p and /(p+1) networks start at the same address).
 */
function celIpv6LessOrEqual(a: string, b: string): string {
  const net = (len: number) => `cidr(${a} + '/${len}')`;
  const terms = Array.from(
    { length: 128 },
    (_, p) =>
      `(${net(p)}.containsIP(${b}) && !${net(p + 1)}.containsIP(${b}) && ` +
      `${net(p)}.masked().ip() == ${net(p + 1)}.masked().ip())`,
  );
  return `ip(${a}) == ip(${b}) || ${terms.join(" || ")}`;
}

/**
 * CEL: a <= b for two expressions yielding IP strings of one family. A disjunction per family
 * (not a ternary), so that the offline engine, which compiles the operands of a top-level
 * `||`/`&&` only when it reaches them, never parses the 17 kB IPv6 half for an IPv4 range.
 */
export function celIpLessOrEqual(a: string, b: string): string {
  return (
    `(ip(${a}).family() == 4 && ${celIpv4Value(a)} <= ${celIpv4Value(b)}) || ` +
    `(ip(${a}).family() == 6 && (${celIpv6LessOrEqual(a, b)}))`
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
