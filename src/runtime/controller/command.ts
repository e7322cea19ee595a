// `metallb-ts controller`: the controller shell wired to the API server (stores, writer), leader
// election, metrics and probes.
import { hostname } from "node:os";
import { IPAddressPoolKind } from "../../api/kinds/ipaddresspool.js";
import { commandContext } from "../command-context.js";
import { CONTROLLER_HEAP_GROWTH_PERCENT, limitHeapGrowth } from "../heap-growth.js";
import { CONTROLLER, str } from "../flags.js";
import { serveOperations } from "../http/operations.js";
import { LeaderElector } from "../kube/leader-election.js";
import { StoreFactory } from "../kube/stores.js";
import { KubeWriter } from "../kube/writer.js";
import { controllerMetrics } from "../metrics/controller-metrics.js";
import { Controller } from "./controller.js";
import { ensureHeartbeatSecret } from "./heartbeat-secret.js";

export async function controllerCommand(
  args: string[],
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const ctx = commandContext(CONTROLLER, args, out, err);
  if (typeof ctx === "number") return ctx;
  const { values: v, namespace, lbClass, log, kc } = ctx;
  limitHeapGrowth(CONTROLLER_HEAP_GROWTH_PERCENT);
  const metrics = controllerMetrics();
  const stores = new StoreFactory(kc, log);
  const ctl = new Controller({
    stores: {
      services: stores.services(),
      namespaces: stores.namespaces(),
      pools: stores.config(IPAddressPoolKind, namespace),
    },
    writer: new KubeWriter(kc),
    namespace,
    log,
    metrics,
    ...(lbClass ? { lbClass } : {}),
  });
  const identity = str(v, "identity") ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  const elector = new LeaderElector({
    kc,
    namespace,
    name: "metallb-ts-controller",
    identity,
    durationSeconds: Number(str(v, "lease-duration")),
    log,
  });
  let lost = false;
  const stopSignal = new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  const servers = await serveOperations(
    log,
    Number(str(v, "metrics-port")),
    Number(str(v, "health-port")),
    metrics.registry,
    {
      live: () => (lost ? "lost leadership; restarting" : undefined),
      // A standby is ready (healthy and waiting); a leader once its initial sync is done.
      ready: () =>
        elector.isLeading() && !ctl.isSynced() ? "initial sync in progress" : undefined,
    },
    ctx.metricsSecurity,
  );
  if (!servers) return 1;
  let stopping = false;
  const heartbeatSecret = str(v, "heartbeat-secret");
  if (heartbeatSecret)
    void ensureHeartbeatSecret({
      kc,
      namespace,
      name: heartbeatSecret,
      log,
      stopped: () => stopping,
    });
  log.info("controller starting; campaigning for leadership", { identity, namespace });
  const campaign = elector.run(
    () => ctl.start(),
    () => {
      lost = true;
      process.kill(process.pid, "SIGTERM");
    },
  );
  await stopSignal;
  stopping = true;
  await elector.stop();
  await ctl.stop();
  await campaign;
  for (const s of servers) s.close();
  kc.close();
  if (lost) {
    log.error("exiting after losing leadership");
    return 1;
  }
  log.info("controller stopped");
  return 0;
}
