// What `metallb-ts status` prints, from a snapshot of the cluster: pools with their usage,
// LoadBalancer Services with their addresses and who announces them (L2 owner and interfaces,
// BGP nodes and peers), each node's BGP sessions, the problems (addresses held back, invalid configuration, Services
// waiting for an address, Flux objects not Ready) and the Flux objects' readiness. Pure.
import type {
  ConfigurationStateStatus,
  ServiceBGPStatusStatus,
  ServiceL2StatusStatus,
} from "../api/kinds/status-kinds.js";
import type { IPAddressPoolStatus } from "../api/kinds/ipaddresspool.js";

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface StatusSnapshot {
  namespace: string;
  pools: {
    name: string;
    addresses: string[];
    autoAssign?: boolean;
    status?: IPAddressPoolStatus;
  }[];
  /** The LoadBalancer Services this installation serves (its loadBalancerClass, or none). */
  services: { namespace: string; name: string; addresses: string[] }[];
  l2: ServiceL2StatusStatus[];
  bgp: ServiceBGPStatusStatus[];
  configuration: { name: string; status?: ConfigurationStateStatus }[];
  /** Undefined when Flux is not installed in the cluster. */
  flux?: {
    kind: string;
    namespace: string;
    name: string;
    ready?: Condition;
    revision?: string;
  }[];
}

export interface StatusReport {
  text: string;
  problems: number;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`);
}

/** "used/total", or "-" when the pool has no address of that family (or no usage yet). */
const usage = (assigned = 0, available = 0): string =>
  assigned + available === 0 ? "-" : `${assigned}/${assigned + available}`;

const firstLine = (text?: string): string => (text ?? "").split("\n")[0] ?? "";

const key = (namespace?: string, name?: string) => `${namespace ?? ""}/${name ?? ""}`;

function announcers(s: StatusSnapshot, svc: { namespace: string; name: string }): string {
  const k = key(svc.namespace, svc.name);
  const l2 = s.l2
    .filter((x) => key(x.serviceNamespace, x.serviceName) === k)
    .map((x) => {
      const held = x.conditions?.find((c) => c.type === "Announced" && c.status === "False");
      const ifs = (x.interfaces ?? []).map((i) => i.name).join(",");
      return `L2 ${x.node ?? "?"}${ifs ? ` (${ifs})` : ""}${held ? ` held back: ${held.reason}` : ""}`;
    });
  const bgp = s.bgp
    .filter((x) => key(x.serviceNamespace, x.serviceName) === k)
    .map((x) => `BGP ${x.node ?? "?"} → ${(x.peers ?? []).join(",") || "no peer"}`);
  return [...l2, ...bgp].join("; ") || "nobody";
}

export function statusReport(s: StatusSnapshot): StatusReport {
  const out: string[] = [];
  const problems: string[] = [];

  out.push(`Pools (${s.namespace})`);
  out.push(
    ...table(
      ["NAME", "AUTO", "IPv4 USED/TOTAL", "IPv6 USED/TOTAL", "ADDRESSES"],
      [...s.pools]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((p) => [
          p.name,
          p.autoAssign === false ? "no" : "yes",
          usage(p.status?.assignedIPv4, p.status?.availableIPv4),
          usage(p.status?.assignedIPv6, p.status?.availableIPv6),
          p.addresses.join(","),
        ]),
    ),
  );
  for (const p of s.pools)
    for (const c of p.status?.conditions ?? [])
      if (c.status === "False")
        problems.push(
          `IPAddressPool ${p.name}: ${c.type}=False (${c.reason}): ${firstLine(c.message)}`,
        );

  out.push("", "Services");
  const services = [...s.services].sort((a, b) =>
    key(a.namespace, a.name).localeCompare(key(b.namespace, b.name)),
  );
  out.push(
    ...table(
      ["SERVICE", "ADDRESSES", "ANNOUNCED BY"],
      services.map((svc) => [
        `${svc.namespace}/${svc.name}`,
        svc.addresses.join(",") || "<pending>",
        announcers(s, svc),
      ]),
    ),
  );
  for (const svc of services)
    if (!svc.addresses.length)
      problems.push(`Service ${svc.namespace}/${svc.name} has no address yet`);
  for (const x of s.l2)
    for (const c of x.conditions ?? [])
      if (c.type === "Announced" && c.status === "False")
        problems.push(
          `Service ${key(x.serviceNamespace, x.serviceName)} held back on ${x.node ?? "?"}: ${c.reason}${c.message ? ` — ${firstLine(c.message)}` : ""}`,
        );
  const sessions = s.configuration
    .flatMap((c) => {
      const cond = c.status?.conditions?.find((x) => x.type === "BGPSessions");
      return cond ? [{ node: c.name.replace(/^speaker-/, ""), cond }] : [];
    })
    .sort((a, b) => a.node.localeCompare(b.node));
  if (sessions.length) {
    out.push("", "BGP sessions (as each speaker reports them)");
    out.push(
      ...table(
        ["NODE", "ALL ESTABLISHED", "SESSIONS"],
        sessions.map(({ node, cond }) => [
          node,
          cond.status === "True" ? "yes" : "no",
          cond.message,
        ]),
      ),
    );
    for (const { node, cond } of sessions)
      if (cond.status !== "True")
        problems.push(`BGP sessions on ${node}: ${firstLine(cond.message)}`);
  }
  for (const c of s.configuration)
    if (c.status?.result === "Invalid")
      problems.push(`ConfigurationState ${c.name}: Invalid: ${firstLine(c.status.errorSummary)}`);

  if (s.flux) {
    out.push("", "Flux");
    out.push(
      ...table(
        ["OBJECT", "READY", "REVISION", "MESSAGE"],
        s.flux.map((f) => [
          `${f.kind} ${f.namespace}/${f.name}`,
          f.ready?.status ?? "Unknown",
          f.revision ?? "",
          firstLine(f.ready?.message),
        ]),
      ),
    );
    for (const f of s.flux)
      if (f.ready?.status !== "True")
        problems.push(
          `${f.kind} ${f.namespace}/${f.name} is not Ready: ${f.ready?.reason ?? "no status yet"}${f.ready?.message ? ` — ${firstLine(f.ready.message)}` : ""}`,
        );
  }

  out.push("", problems.length ? `Problems (${problems.length})` : "Problems: none");
  out.push(...problems.map((p) => `  ${p}`));
  return { text: out.join("\n") + "\n", problems: problems.length };
}
