// What the lab prints once it is up (pure): how to change the configuration through Git, where
// the kubeconfig is, each Service with its addresses and who announces them, how to look at the
// wire and the router, where the logs are.
import type { ServiceOutcome } from "./verify.js";

export interface SummaryInput {
  seconds: number;
  kubeconfig: string;
  outcomes: ServiceOutcome[];
  /** Network namespace by lab host name (nodes, router, client). */
  namespaces: Record<string, string>;
  nodes: string[];
  routerHost: string;
  clientHost: string;
  /** FRR's vty socket directory (vtysh --vty_socket). */
  vtyDir: string;
  speakerMetricsPort: number;
  controllerMetricsPort: number;
  /** The node whose namespace the (first) controller process runs in. */
  controllerNode: string;
  /** Seconds from Flux's bootstrap until the release and policies were Ready. */
  fluxSeconds: number;
  /** Check mode: the range a push added to pool lan, and seconds until the cluster held it. */
  pushed?: { added: string; seconds: number; rollout: number; statusNodes: string[] };
  /** The lab's Git working copy (pushes to the lab's Git host) and the file Flux applies. */
  workingCopy: string;
  overrideFile: string;
  /** `metallb-ts` as the user runs it here. */
  cli: string;
  kubeDir: string;
  labDir: string;
  check: boolean;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map(
    (r) =>
      "  " +
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
  );
}

function announcedBy(o: ServiceOutcome): string {
  if (o.owners) {
    const nodes = [...new Set(Object.values(o.owners))];
    if (nodes.length === 1) return `L2: ${nodes[0]} answers ARP/NDP`;
    return `L2: ${Object.entries(o.owners)
      .map(([ip, node]) => `${node} answers for ${ip}`)
      .join(", ")}`;
  }
  return `BGP: the router learnt it from ${(o.bgpNodes ?? []).join(", ")}`;
}

export function formatSummary(s: SummaryInput): string {
  const ns = (host: string) => s.namespaces[host] ?? host;
  const firstL2 = s.outcomes.find((o) => o.owners);
  const v4 = firstL2?.ips.find((ip) => !ip.includes(":"));
  const v6 = firstL2?.ips.find((ip) => ip.includes(":"));
  const inClient = `ip netns exec ${ns(s.clientHost)}`;
  const vtysh = `vtysh --vty_socket ${s.vtyDir}`;
  const bearer = `-H "Authorization: Bearer $(kubectl --kubeconfig ${s.kubeconfig} config view --raw -o jsonpath='{.users[0].user.token}')"`;
  const inspect: string[][] = [
    [`${inClient} ip neigh`, "the client's neighbour table (VIP → owner's MAC)"],
    ...(v4 ? [[`${inClient} arping -c1 -I eth0 ${v4}`, "who answers ARP for an L2 address"]] : []),
    ...(v6 ? [[`${inClient} ndisc6 ${v6} eth0`, "who answers NDP for an L2 address"]] : []),
    [`${vtysh} -c 'show bgp summary'`, "the router's BGP sessions"],
    [`${vtysh} -c 'show bgp ipv4 unicast'`, "the router's BGP table (also: ipv6 unicast)"],
    [`ip netns exec ${ns(s.routerHost)} ip route`, "the routes FRR installed"],
    [
      `ip netns exec ${ns(s.nodes[0]!)} curl -sk ${bearer} https://127.0.0.1:${s.speakerMetricsPort}/metrics`,
      "a speaker's metrics (HTTPS; callers the API server authorizes)",
    ],
    [
      `ip netns exec ${ns(s.controllerNode)} curl -sk ${bearer} https://127.0.0.1:${s.controllerMetricsPort}/metrics`,
      "the controller's metrics",
    ],
  ];
  return [
    `metallb-ts lab is up (${s.seconds} s): API server, Flux, controller, ${s.nodes.length} speakers, FRR router, client`,
    `Flux installed the chart and the configuration from ${s.overrideFile} (${s.fluxSeconds} s)`,
    "",
    "Change it the GitOps way: edit, check, commit, push; the push webhook has Flux apply it",
    `  cd ${s.workingCopy}`,
    `  $EDITOR ${s.overrideFile}     # e.g. add an address range to pool "lan"`,
    `  ${s.cli} validate .`,
    `  git commit -am "more addresses" && git push`,
    `  ${s.cli} status --kubeconfig ${s.kubeconfig}     # pools, Services, announcers, Flux objects`,
    `  kubectl --kubeconfig ${s.kubeconfig} get kustomizations,helmreleases -A`,
    "",
    "Kubernetes",
    `  export KUBECONFIG=${s.kubeconfig}`,
    `  kubectl --kubeconfig ${s.kubeconfig} get svc -A`,
    `  kubectl --kubeconfig ${s.kubeconfig} -n metallb-system get ipaddresspools,l2advertisements,bgppeers,bgpadvertisements,servicel2statuses`,
    "",
    "Services",
    ...table([
      ["SERVICE", "ADDRESSES", "ANNOUNCED BY"],
      ...s.outcomes.map((o) => [`demo/${o.service.name}`, o.ips.join(", "), announcedBy(o)]),
    ]),
    "",
    "Network namespaces",
    ...table([
      ["HOST", "NAMESPACE"],
      ...[...s.nodes, s.routerHost, s.clientHost].map((h) => [h, ns(h)]),
    ]),
    "",
    "Inspect",
    ...table(inspect),
    "",
    "Logs",
    `  ${s.kubeDir}  etcd.log, kube-apiserver.log, Flux's controllers, kwok, kube-controller-manager`,
    `  ${s.labDir}  <controller Pod>.log, <speaker Pod>.log, api-bridge-<node>.log, frr-${s.routerHost}/bgpd.log`,
    "",
    s.check
      ? `check passed: every Service has its addresses, L2 owners answer the client, the router holds the BGP routes${s.pushed ? `; a push adding ${s.pushed.added} to pool lan was applied in ${s.pushed.seconds} s; a push of controller.logLevel: debug rolled the controllers in ${s.pushed.rollout} s; \`metallb-ts status\` exits 0 with BGP sessions Established on ${s.pushed.statusNodes.join(", ")}` : ""}`
      : "Ctrl-C stops and removes everything.",
    "",
  ].join("\n");
}
