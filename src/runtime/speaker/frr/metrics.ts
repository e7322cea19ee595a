// FRR mode's metrics, under the names and labels (`peer`, `vrf`) upstream MetalLB's FRR mode
// exports, read from what FRR reports (readback.ts). The three BGP gauges native mode also has
// are shared, so a dashboard works in either mode.
import type { Metric, Registry } from "../../metrics/registry.js";
import type { BgpCounters } from "./readback.js";
import type { FrrBgpDriver } from "./driver.js";

const BGP_COUNTERS: [string, keyof BgpCounters, string][] = [
  ["metallb_bgp_updates_total_received", "updatesRecv", "UPDATE messages received"],
  ["metallb_bgp_opens_sent", "opensSent", "OPEN messages sent"],
  ["metallb_bgp_opens_received", "opensRecv", "OPEN messages received"],
  ["metallb_bgp_notifications_sent", "notificationsSent", "NOTIFICATION messages sent"],
  ["metallb_bgp_keepalives_sent", "keepalivesSent", "KEEPALIVE messages sent"],
  ["metallb_bgp_keepalives_received", "keepalivesRecv", "KEEPALIVE messages received"],
  ["metallb_bgp_route_refresh_sent", "routeRefreshSent", "ROUTE-REFRESH messages sent"],
  ["metallb_bgp_total_sent", "totalSent", "BGP messages sent"],
  ["metallb_bgp_total_received", "totalRecv", "BGP messages received"],
];

type BfdCounter =
  | "controlIn"
  | "controlOut"
  | "echoIn"
  | "echoOut"
  | "upEvents"
  | "downEvents"
  | "zebraNotifications";

const BFD_COUNTERS: [string, BfdCounter, string][] = [
  ["metallb_bfd_control_packet_input", "controlIn", "BFD control packets received"],
  ["metallb_bfd_control_packet_output", "controlOut", "BFD control packets sent"],
  ["metallb_bfd_echo_packet_input", "echoIn", "BFD echo packets received"],
  ["metallb_bfd_echo_packet_output", "echoOut", "BFD echo packets sent"],
  ["metallb_bfd_session_up_events", "upEvents", "Times the BFD session came up"],
  ["metallb_bfd_session_down_events", "downEvents", "Times the BFD session went down"],
  ["metallb_bfd_zebra_notifications", "zebraNotifications", "BFD notifications from zebra"],
];

export interface SharedBgpMetrics {
  sessionUp: Metric;
  prefixes: Metric;
  updates: Metric;
}

/** Registers the FRR-only metrics; the returned function refreshes every one from FRR's state. */
export function frrMetrics(
  registry: Registry,
  driver: FrrBgpDriver,
): (shared: SharedBgpMetrics) => void {
  const bgp = BGP_COUNTERS.map(([name, key, help]) => [registry.counter(name, help), key] as const);
  const bfdUp = registry.gauge("metallb_bfd_session_up", "BFD session state (1 = up)");
  const bfd = BFD_COUNTERS.map(([name, key, help]) => [registry.counter(name, help), key] as const);
  const reloads = registry.counter(
    "metallb_ts_frr_reloads_total",
    "Configurations FRR took, and refused (result=failed)",
  );
  const incremental = registry.counter(
    "metallb_ts_frr_incremental_reloads_total",
    "Of the configurations FRR took, those that only added lines (applied with vtysh alone)",
  );
  const reloadSeconds = registry.gauge(
    "metallb_ts_frr_last_reload_seconds",
    "How long the last successful reload took",
  );
  return (shared) => {
    const { neighbors, bfd: peers } = driver.state();
    const all = [
      shared.sessionUp,
      shared.prefixes,
      shared.updates,
      bfdUp,
      ...bgp.map(([m]) => m),
      ...bfd.map(([m]) => m),
    ];
    for (const m of all) m.retain(() => false);
    for (const n of neighbors) {
      const labels = { peer: n.address, vrf: n.vrf };
      shared.sessionUp.set(labels, n.state === "Established" ? 1 : 0);
      shared.prefixes.set(labels, n.prefixesSent);
      shared.updates.set(labels, n.counters.updatesSent);
      for (const [m, key] of bgp) m.set(labels, n.counters[key]);
    }
    for (const p of peers) {
      const labels = { peer: p.peer, vrf: p.vrf };
      bfdUp.set(labels, p.up ? 1 : 0);
      for (const [m, key] of bfd) m.set(labels, p[key]);
    }
    reloads.set({ result: "ok" }, driver.reloadStats.reloads);
    reloads.set({ result: "failed" }, driver.reloadStats.failures);
    incremental.set({}, driver.reloadStats.incremental);
    if (driver.reloadStats.lastMs !== undefined)
      reloadSeconds.set({}, driver.reloadStats.lastMs / 1000);
  };
}
