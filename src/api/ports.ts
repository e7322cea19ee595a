// The runtime's default ports: the commands' flag defaults and the chart's values both read them.
// Upstream MetalLB's metrics ports (7472 controller, 7474 speaker) and memberlist's 7946.
export const DEFAULT_PORTS = {
  controllerMetrics: 7472,
  controllerHealth: 7473,
  speakerMetrics: 7474,
  speakerHealth: 7475,
  heartbeat: 7946,
} as const;
