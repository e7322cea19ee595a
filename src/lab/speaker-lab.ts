// The three-node speaker lab the end-to-end speaker tests and the L2 speaker benchmark share: the
// lab cluster with nodes n1..n3, a client host on the same segment, the controller and a speaker
// in every node, plus whatever other hosts a test needs there (a router, a foreign host).
import { Cleanup } from "../sys/cleanup.js";
import { LabCluster, type ClusterNode, type LabClusterOptions } from "./cluster.js";
import { RUNTIME_NAMESPACE } from "./kube/identities.js";
import type { FrrNodeOptions } from "./net/frr-node.js";
import type { Lab, Topology } from "./net/index.js";

export const SYSTEM = RUNTIME_NAMESPACE;
export const NODES = ["n1", "n2", "n3"] as const;

export const nodeAddress = (node: string): string => `192.0.2.${11 + NODES.indexOf(node as never)}`;
export const nodeAddress6 = (node: string): string =>
  `2001:db8::${11 + NODES.indexOf(node as never)}`;

const LAB_NODES: ClusterNode[] = NODES.map((name) => ({
  name,
  ipv4: nodeAddress(name),
  ipv6: nodeAddress6(name),
}));

export interface SpeakerLabOptions {
  /** Hosts besides n1..n3 and the client on the lan segment (a router, a foreign host). */
  extraHosts?: Topology["hosts"];
  /** Namespaces to create besides metallb-system. */
  namespaces?: string[];
  /** Extra speaker flags. */
  speakerArgs?: string[];
  /** Heartbeats between the speakers (default on, as the chart runs them). */
  heartbeats?: boolean;
  /** A command a node's speaker runs under (e.g. faketime), by node. */
  wrap?: Record<string, string[]>;
  /** Runs before the speakers start (e.g. a router they should find up). */
  beforeSpeakers?: (lab: Lab) => Promise<void>;
  /** API server audit log (see KubeEnv.auditLog), for counting the speakers' requests. */
  audit?: boolean;
  /** FRR mode: each speaker drives its own FRR (see src/lab/net/frr-node.ts). */
  frr?: boolean | FrrNodeOptions;
}

export type SpeakerLab = LabCluster & { stop(): Promise<void> };

export async function startSpeakerLab(opts: SpeakerLabOptions = {}): Promise<SpeakerLab> {
  const cleanup = new Cleanup();
  const options: LabClusterOptions = {
    nodes: LAB_NODES,
    network: {
      hosts: [
        {
          name: "client",
          links: [{ segment: "lan", addresses: ["192.0.2.2/24", "2001:db8::2/64"] }],
        },
        ...(opts.extraHosts ?? []),
      ],
    },
    speakers: {
      args: opts.speakerArgs ?? [],
      heartbeats: opts.heartbeats ?? true,
      ...(opts.wrap ? { wrap: opts.wrap } : {}),
      ...(opts.frr ? { frr: opts.frr } : {}),
    },
    controller: { identity: "speaker-e2e" },
    ...(opts.namespaces ? { namespaces: opts.namespaces } : {}),
    ...(opts.beforeSpeakers ? { beforeSpeakers: opts.beforeSpeakers } : {}),
    ...(opts.audit ? { audit: true } : {}),
  };
  try {
    const c = await LabCluster.start(cleanup, options);
    return Object.assign(c, { stop: () => cleanup.close() });
  } catch (err) {
    await cleanup.run();
    throw err;
  }
}
