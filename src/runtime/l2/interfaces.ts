// Which interfaces answer ARP/NDP: the pure selection from interface facts, an L2Advertisement's
// `interfaces` list and a list of excluded name patterns.
import type { LinkFacts } from "../native/index.js";
import { formatMac } from "./ethernet.js";

export interface InterfaceFacts {
  name: string;
  index: number;
  /** Unset when the device has no 6-byte hardware address. */
  mac: string | undefined;
  up: boolean;
  loopback: boolean;
  noarp: boolean;
  /** Enslaved to a bridge or bond: its master answers instead. */
  enslaved: boolean;
  ethernet: boolean;
  mtu: number;
}

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_NOARP = 0x80;
const ARPHRD_ETHER = 1;

export function interfaceFacts(link: LinkFacts): InterfaceFacts {
  return {
    name: link.name,
    index: link.index,
    mac: link.mac?.length === 6 ? formatMac(link.mac) : undefined,
    up: (link.flags & IFF_UP) !== 0,
    loopback: (link.flags & IFF_LOOPBACK) !== 0,
    noarp: (link.flags & IFF_NOARP) !== 0,
    enslaved: link.master !== 0,
    ethernet: link.type === ARPHRD_ETHER,
    mtu: link.mtu,
  };
}

/** Container, CNI and service-proxy interfaces: never where a Service IP should be answered. */
export const DEFAULT_EXCLUDED_PATTERNS: readonly string[] = [
  "veth*",
  "cali*",
  "docker*",
  "cni*",
  "flannel*",
  "lxc*",
  "kube-ipvs*",
  "cilium_*",
  "vxlan*",
  "tunl*",
  "genev_sys_*",
  "nodelocaldns",
];

/** Shell-style name pattern: `*` any run, `?` one character, everything else literal. */
export function nameMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(name);
}

export type RejectReason =
  | "down"
  | "loopback"
  | "noarp"
  | "enslaved"
  | "not-ethernet"
  | "excluded-by-pattern"
  | "not-listed";

export interface InterfaceSelection {
  selected: InterfaceFacts[];
  rejected: { name: string; reason: RejectReason }[];
  /** Names the advertisement lists that this node does not have (a Warning for the user). */
  missing: string[];
}

function stateProblem(f: InterfaceFacts): RejectReason | undefined {
  if (f.loopback) return "loopback";
  if (!f.ethernet || !f.mac) return "not-ethernet";
  if (f.noarp) return "noarp";
  if (f.enslaved) return "enslaved";
  if (!f.up) return "down";
  return undefined;
}

/**
 * With a non-empty `listed` (L2Advertisement.interfaces) only those interfaces are candidates,
 * and naming one explicitly overrides the exclusion patterns; otherwise every interface not
 * matching `excluded` is. Loopback, non-Ethernet, NOARP, enslaved and down interfaces never are.
 */
export function selectInterfaces(
  facts: readonly InterfaceFacts[],
  listed: readonly string[] = [],
  excluded: readonly string[] = DEFAULT_EXCLUDED_PATTERNS,
): InterfaceSelection {
  const selected: InterfaceFacts[] = [];
  const rejected: InterfaceSelection["rejected"] = [];
  for (const f of facts) {
    const reason =
      listed.length > 0
        ? listed.includes(f.name)
          ? stateProblem(f)
          : "not-listed"
        : (stateProblem(f) ??
          (excluded.some((p) => nameMatches(p, f.name)) ? "excluded-by-pattern" : undefined));
    if (reason) rejected.push({ name: f.name, reason });
    else selected.push(f);
  }
  const present = new Set(facts.map((f) => f.name));
  return { selected, rejected, missing: [...new Set(listed)].filter((n) => !present.has(n)) };
}
