// The L2 metrics under upstream MetalLB's names (dashboards keep working), plus drops by reason.
import type { Metric, Registry } from "../metrics/registry.js";
import type { IpCounters, L2CountersSnapshot } from "./counters.js";

export interface L2Metrics {
  /** Replaces every series with the given totals (counters only grow: see NodeAnnouncers). */
  update(byIp: Record<string, IpCounters>, interfaces: readonly L2CountersSnapshot[]): void;
}

export function l2Metrics(registry: Registry): L2Metrics {
  const perIp: [Metric, keyof IpCounters][] = [
    [
      registry.counter(
        "metallb_layer2_requests_received",
        "Number of layer2 requests received for owned IPs",
      ),
      "requestsReceived",
    ],
    [
      registry.counter(
        "metallb_layer2_responses_sent",
        "Number of layer2 responses sent for owned IPs",
      ),
      "responsesSent",
    ],
    [
      registry.counter(
        "metallb_layer2_gratuitous_sent",
        "Number of gratuitous layer2 packets sent for owned IPs",
      ),
      "gratuitousSent",
    ],
    [
      registry.counter(
        "metallb_ts_layer2_foreign_claims_total",
        "ARP/NA packets from another MAC asserting an IP this node owns or is probing",
      ),
      "foreignClaims",
    ],
  ];
  const dropped = registry.counter(
    "metallb_ts_layer2_frames_dropped_total",
    "Received ARP/NDP frames dropped, per interface and reason (truncated, oversized, malformed, unsupported)",
  );
  return {
    update(byIp, interfaces) {
      for (const [metric, field] of perIp) {
        metric.retain(() => false);
        for (const [ip, c] of Object.entries(byIp)) metric.set({ ip }, c[field]);
      }
      for (const s of interfaces)
        for (const [reason, n] of Object.entries(s.dropped))
          dropped.set({ interface: s.interface, reason }, n);
    },
  };
}
