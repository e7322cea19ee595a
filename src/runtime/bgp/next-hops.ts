// Our own next hops for a session, from the interface that carries its local address: that
// address for its family, the interface's first global address of the other family (for a
// dual-stack session over one transport), and the interface's link-local IPv6 address when the
// peer is on the same link (RFC 2545 §3).
import type { NetworkInterfaceInfo } from "node:os";
import { bitsOf, canonicalIp, parseIp, type Family } from "../../api/formats/ip.js";

export interface SessionNextHops {
  nextHop4?: string;
  nextHop6?: string;
  linkLocal6?: string;
}

type Interfaces = Record<string, NetworkInterfaceInfo[] | undefined>;

const familyOf = (info: NetworkInterfaceInfo): Family => (info.family === "IPv4" ? 4 : 6);
const isLinkLocal = (address: string): boolean => /^fe[89ab]/i.test(address);

function sameSubnet(info: NetworkInterfaceInfo, peer: string): boolean {
  const a = parseIp(info.address);
  const b = parseIp(peer);
  const len = Number((info.cidr ?? "").split("/")[1]);
  if (!a || !b || a.family !== b.family || !Number.isInteger(len)) return false;
  const host = BigInt(bitsOf(a.family) - len);
  return a.value >> host === b.value >> host;
}

/** Strips the IPv4-mapped form sockets report on dual-stack listeners ("::ffff:192.0.2.1"). */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? canonicalIp(address) ?? address;
}

export function sessionNextHops(
  localAddress: string,
  peerAddress: string,
  interfaces: Interfaces,
): SessionNextHops {
  const local = plainAddress(localAddress);
  const out: SessionNextHops = local.includes(":") ? { nextHop6: local } : { nextHop4: local };
  const iface = Object.values(interfaces).find((infos) =>
    (infos ?? []).some((i) => canonicalIp(i.address) === local),
  );
  if (!iface) return out;
  for (const info of iface) {
    const family = familyOf(info);
    if (family === 4 && !out.nextHop4) out.nextHop4 = info.address;
    if (family === 6 && !isLinkLocal(info.address) && !out.nextHop6) {
      out.nextHop6 = canonicalIp(info.address);
    }
  }
  const onLink = iface.some((i) => sameSubnet(i, plainAddress(peerAddress)));
  const linkLocal = iface.find((i) => familyOf(i) === 6 && isLinkLocal(i.address));
  if (onLink && linkLocal) out.linkLocal6 = canonicalIp(linkLocal.address.split("%")[0] ?? "");
  return out;
}
