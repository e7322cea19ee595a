// The operational endpoints every runtime process serves: Prometheus /metrics on one port,
// /healthz and /readyz on another (so a NetworkPolicy can open metrics to Prometheus alone).
// /metrics is HTTPS and answers only callers the API server says may read it, unless the process
// runs with --metrics-insecure; the probes stay plain HTTP for the kubelet.
import type { Server } from "node:http";
import type { Logger } from "../log.js";
import type { Registry } from "../metrics/registry.js";
import type { MetricsAuthenticator } from "./metrics-auth.js";
import { listen, probeRoute, type Probe, type Reply } from "./server.js";

/** How /metrics is protected: whom it answers, and the certificate it serves. */
export interface MetricsSecurity {
  auth: MetricsAuthenticator;
  tls: { cert: string; key: string };
}

/** Starts the servers; undefined (after logging why) when a port cannot be bound. */
export async function serveOperations(
  log: Logger,
  metricsPort: number,
  healthPort: number,
  registry: Registry,
  probes: { live: Probe; ready: Probe },
  security?: MetricsSecurity,
): Promise<Server[] | undefined> {
  const metrics = (): Reply => ({
    status: 200,
    body: registry.render(),
    type: "text/plain; version=0.0.4; charset=utf-8",
  });
  const servers: Server[] = [];
  try {
    if (metricsPort)
      servers.push(
        await listen(
          metricsPort,
          {
            "/metrics": security
              ? async (req) => {
                  const v = await security.auth.check(req.headers.authorization, "/metrics");
                  return v.allowed ? metrics() : { status: v.status, body: `${v.reason}\n` };
                }
              : metrics,
          },
          security?.tls,
        ),
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
