// A lab network described as data, and the pure plan that turns it into `ip` commands.
// Every host is a network namespace; every L2 segment is a bridge in a separate "switch"
// namespace, so nothing is created in (or routed out of) the machine's own namespace.
import { isDocumentationAddress } from "./doc-ranges.js";
import { argv } from "../../sys/proc.js";

export const LAB_PREFIX = "mlbts";

export interface LinkSpec {
  segment: string;
  /** Interface addresses with prefix length, e.g. "192.0.2.1/24", "2001:db8::1/64". */
  addresses: string[];
}

export interface HostSpec {
  name: string;
  links: LinkSpec[];
}

export interface Topology {
  segments: string[];
  hosts: HostSpec[];
}

export interface LabNames {
  labId: string;
  switchNs: string;
  hostNs(host: string): string;
  bridge(segment: string): string;
  /** Name of host's i-th interface inside the host namespace. */
  hostIf(i: number): string;
  /** Name of the switch-side end of host's i-th link. */
  switchIf(host: string, i: number): string;
}

const NAME = /^[a-z][a-z0-9]{0,9}$/;

export function labNames(labId: string): LabNames {
  return {
    labId,
    switchNs: `${LAB_PREFIX}-${labId}-sw`,
    hostNs: (host) => `${LAB_PREFIX}-${labId}-${host}`,
    bridge: (segment) => `br-${segment}`,
    hostIf: (i) => `eth${i}`,
    switchIf: (host, i) => `${host}-${i}`,
  };
}

/** Problems with a topology; empty when it can be built. */
export function checkTopology(t: Topology): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const s of t.segments) {
    if (!NAME.test(s))
      errors.push(`segment "${s}": use 1-10 lowercase letters/digits, starting with a letter`);
  }
  for (const h of t.hosts) {
    if (!NAME.test(h.name) || h.name === "sw") {
      errors.push(
        `host "${h.name}": use 1-10 lowercase letters/digits, starting with a letter (not "sw")`,
      );
    }
    if (seen.has(h.name)) errors.push(`host "${h.name}" is declared twice`);
    seen.add(h.name);
    h.links.forEach((l, i) => {
      if (!t.segments.includes(l.segment))
        errors.push(`host "${h.name}" link ${i}: unknown segment "${l.segment}"`);
      for (const a of l.addresses) {
        const [ip, len] = a.split("/");
        if (!ip || !len || !isDocumentationAddress(ip)) {
          errors.push(
            `host "${h.name}" link ${i}: address "${a}" must be ip/len inside 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 or 2001:db8::/32`,
          );
        }
      }
    });
  }
  return errors;
}

/** The commands that build the topology, in order. */
export function buildPlan(t: Topology, n: LabNames): string[][] {
  const cmds: string[][] = [];
  const sw = n.switchNs;
  for (const ns of [sw, ...t.hosts.map((h) => n.hostNs(h.name))])
    cmds.push(argv`ip netns add ${ns}`, argv`ip -n ${ns} link set lo up`);
  // The switch forwards frames only; it must not take part in IPv6 itself.
  for (const scope of ["all", "default"])
    cmds.push(argv`ip netns exec ${sw} sysctl -qw net.ipv6.conf.${scope}.disable_ipv6=1`);
  for (const s of t.segments)
    cmds.push(
      argv`ip -n ${sw} link add ${n.bridge(s)} type bridge stp_state 0 forward_delay 0`,
      argv`ip -n ${sw} link set ${n.bridge(s)} up`,
    );
  for (const h of t.hosts) {
    const ns = n.hostNs(h.name);
    h.links.forEach((l, i) => {
      const outer = n.switchIf(h.name, i);
      const inner = n.hostIf(i);
      cmds.push(
        argv`ip -n ${sw} link add ${outer} type veth peer name ${inner} netns ${ns}`,
        argv`ip -n ${sw} link set ${outer} master ${n.bridge(l.segment)} up`,
        argv`ip -n ${ns} link set ${inner} up`,
      );
      // DAD would hold a fresh IPv6 address back for a second or more; the lab's are unique.
      for (const a of l.addresses)
        cmds.push([
          ...argv`ip -n ${ns} addr add ${a} dev ${inner}`,
          ...(a.includes(":") ? ["nodad"] : []),
        ]);
    });
  }
  return cmds;
}
