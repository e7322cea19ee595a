// The operational endpoints every runtime process serves: Prometheus /metrics on one port,
// /healthz and /readyz on another (so a NetworkPolicy can open metrics to Prometheus alone).
import type { Server } from "node:http";
import type { Logger } from "../log.js";
import type { Registry } from "../metrics/registry.js";
import { listen, probeRoute, type Probe } from "./server.js";

/** Starts the servers; undefined (after logging why) when a port cannot be bound. */
export async function serveOperations(
  log: Logger,
  metricsPort: number,
  healthPort: number,
  registry: Registry,
  probes: { live: Probe; ready: Probe },
): Promise<Server[] | undefined> {
  const servers: Server[] = [];
  try {
    if (metricsPort)
      servers.push(
        await listen(metricsPort, {
          "/metrics": () => ({
            status: 200,
            body: registry.render(),
            type: "text/plain; version=0.0.4; charset=utf-8",
          }),
        }),
      );
    if (healthPort)
      servers.push(
        await listen(healthPort, {
          "/healthz": probeRoute(probes.live),
          "/readyz": probeRoute(probes.ready),
        }),
      );
    return servers;
  } catch (err) {
    log.error(
      "could not open the operations port; pick a free one with --metrics-port/--health-port",
      {
        error: String(err),
      },
    );
    for (const s of servers) s.close();
    return undefined;
  }
}
