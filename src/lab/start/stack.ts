// The embedded lab: the lab cluster (src/lab/cluster.ts) with three nodes, an FRR router and a
// client on one bridge, the controller and a speaker in every node.
import { DEFAULT_PORTS } from "../../api/ports.js";
import type { Cleanup } from "../../sys/cleanup.js";
import { freePort } from "../../sys/ports.js";
import type { Managed } from "../../sys/proc.js";
import { LabCluster } from "../cluster.js";
import type { KubeEnv } from "../kube/cluster.js";
import { startFrr, type BgpRouter, type Lab } from "../net/index.js";
import { DEMO_NS, NEIGHBOURS, NODES, ROUTER_SPEC } from "./layout.js";

/** Speakers keep the runtime's default ports: each node namespace has its own loopback. */
export const SPEAKER_METRICS_PORT = DEFAULT_PORTS.speakerMetrics;

export interface LabStack {
  env: KubeEnv;
  admin: LabCluster["admin"];
  lab: Lab;
  router: BgpRouter;
  controller: Managed;
  controllerMetricsPort: number;
  speakers: Record<string, Managed>;
  /** The MAC of each node's LAN interface, by node name. */
  macs: Record<string, string>;
}

export async function startStack(cleanup: Cleanup, say: (line: string) => void): Promise<LabStack> {
  let router: BgpRouter | undefined;
  const controllerMetricsPort = await freePort();
  const c = await LabCluster.start(cleanup, {
    namespaces: [DEMO_NS],
    nodes: NODES,
    network: { hosts: NEIGHBOURS },
    beforeSpeakers: async (lab) => {
      router = await startFrr(lab, ROUTER_SPEC);
    },
    speakers: {},
    controller: {
      identity: "lab-controller",
      metricsPort: controllerMetricsPort,
      leaseDuration: 15,
    },
    say,
  });
  if (!router || !c.controller) throw new Error("the lab cluster came up without its router");
  return {
    env: c.env,
    admin: c.admin,
    lab: c.lab,
    router,
    controller: c.controller,
    controllerMetricsPort,
    speakers: c.speakers,
    macs: c.macs,
  };
}
