// The controller's metrics. The allocator and client names are upstream MetalLB's, so existing
// dashboards and alerts keep working; metallb_ts_* ones are ours.
import { Registry, type Metric } from "./registry.js";

export interface ControllerMetrics {
  registry: Registry;
  addressesInUse: Metric;
  addressesTotal: Metric;
  configLoaded: Metric;
  configStale: Metric;
  poolProblems: Metric;
  allocationFailures: Metric;
}

export function controllerMetrics(): ControllerMetrics {
  const registry = new Registry();
  return {
    registry,
    addressesInUse: registry.gauge(
      "metallb_allocator_addresses_in_use_total",
      "Number of IP addresses in use, per pool",
    ),
    addressesTotal: registry.gauge(
      "metallb_allocator_addresses_total",
      "Number of usable IP addresses, per pool",
    ),
    configLoaded: registry.gauge(
      "metallb_k8s_client_config_loaded_bool",
      "1 once the configuration has been loaded and every existing assignment restored",
    ),
    configStale: registry.gauge(
      "metallb_k8s_client_config_stale_bool",
      "1 while some configuration object is invalid or conflicts with another",
    ),
    poolProblems: registry.gauge(
      "metallb_ts_pool_problems",
      "Problems found in a pool (invalid entries, overlaps with other pools), per pool",
    ),
    allocationFailures: registry.counter(
      "metallb_ts_allocation_failures_total",
      "Allocation attempts that failed, by reason",
    ),
  };
}
