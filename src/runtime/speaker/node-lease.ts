// Speaker discovery through Kubernetes: one Lease per node in the runtime namespace, renewed at a
// fixed period whatever the number of Services, deleted when the speaker leaves. Fast failure
// detection is the heartbeats' job; the Leases say who exists (and where its heartbeats come
// from) and are the fallback when heartbeats are off.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { performance } from "node:perf_hooks";
import { parseIp } from "../../api/formats/ip.js";
import { SPEAKER_LEASE_PREFIX } from "../../api/rbac/speaker-leases.js";
import type { Logger } from "../log.js";
import { mergePatch, microTime } from "../kube/patch.js";
import { apiClient } from "../kube/api-client.js";

export { SPEAKER_LEASE_PREFIX };
/** Annotation on a speaker Lease: the address its heartbeats come from. */
export const HEARTBEAT_ANNOTATION = "metallb.io/heartbeat-address";
/**
 * Annotation on a speaker Lease: the MACs of its node's interfaces. The other speakers' probes
 * do not count an answer from these as a conflict (it is a speaker letting go of an address).
 */
export const MACS_ANNOTATION = "metallb.io/macs";
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export interface LeaseFacts {
  node: string;
  /** spec.renewTime as written: only its changes matter (see liveness.ts), never its value. */
  renew: string;
  uid?: string;
  durationSeconds: number;
  heartbeatAddress?: string;
  /** Why the heartbeat annotation cannot be used (the peer gets no heartbeats, not a crash). */
  heartbeatProblem?: string;
  /** Its node's interface MACs (lowercase); malformed entries are left out. */
  macs: string[];
}

export function leaseFacts(lease: V1Lease): LeaseFacts | undefined {
  const name = lease.metadata?.name ?? "";
  if (!name.startsWith(SPEAKER_LEASE_PREFIX)) return undefined;
  const renew = lease.spec?.renewTime;
  const hb = lease.metadata?.annotations?.[HEARTBEAT_ANNOTATION];
  const uid = lease.metadata?.uid;
  const usable = hb !== undefined && parseIp(hb) !== undefined;
  const macs = (lease.metadata?.annotations?.[MACS_ANNOTATION] ?? "")
    .split(",")
    .map((m) => m.trim().toLowerCase())
    .filter((m) => MAC.test(m));
  return {
    node: lease.spec?.holderIdentity ?? name.slice(SPEAKER_LEASE_PREFIX.length),
    renew: renew ? new Date(renew).toISOString() : "",
    ...(uid ? { uid } : {}),
    durationSeconds: lease.spec?.leaseDurationSeconds ?? 0,
    macs,
    ...(usable ? { heartbeatAddress: hb } : {}),
    ...(hb !== undefined && !usable
      ? {
          heartbeatProblem: `annotation ${HEARTBEAT_ANNOTATION} on Lease ${name} is "${hb}", not an IP address; that speaker gets no heartbeats until it restarts with a valid --heartbeat-address`,
        }
      : {}),
  };
}

export class NodeLease {
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private readonly name: string;
  /** When a renewal last succeeded (monotonic ms); undefined before the first. */
  private renewedAt: number | undefined;

  constructor(
    kc: KubeConfig,
    private readonly opts: {
      namespace: string;
      node: string;
      durationSeconds: number;
      heartbeatAddress?: string;
      /** This node's interface MACs (read at each renewal: interfaces come and go). */
      macs?: () => string[];
      log: Logger;
    },
  ) {
    this.api = apiClient(kc, CoordinationV1Api);
    this.name = `${SPEAKER_LEASE_PREFIX}${opts.node}`;
  }

  /** Renews now and then every third of the duration. */
  async start(): Promise<void> {
    await this.renew();
    const period = (this.opts.durationSeconds * 1000) / 3;
    this.timer = setInterval(() => void this.renew(), period);
  }

  /**
   * Whether this speaker reaches the API server: a renewal succeeded within half the duration
   * (one renewal period and a margin). Half, so that when every renewal fails at once, this
   * speaker freezes its verdicts before any peer's Lease, renewed at most a period before the
   * outage, can look lapsed (2/3 of the duration after the outage began at the earliest).
   */
  healthy(now: number): boolean {
    return this.renewedAt !== undefined && now - this.renewedAt < this.opts.durationSeconds * 500;
  }

  /** Deletes the Lease, so the others drop this node at once instead of at expiry. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.api.deleteNamespacedLease({ name: this.name, namespace: this.opts.namespace });
    } catch (err) {
      this.opts.log.warn("could not delete the speaker Lease", { error: String(err) });
    }
  }

  private async renew(): Promise<void> {
    const { namespace, node, durationSeconds, heartbeatAddress } = this.opts;
    const macs = this.opts.macs?.() ?? [];
    const annotations = {
      ...(heartbeatAddress ? { [HEARTBEAT_ANNOTATION]: heartbeatAddress } : {}),
      ...(macs.length ? { [MACS_ANNOTATION]: [...new Set(macs)].sort().join(",") } : {}),
    };
    const body = {
      metadata: {
        name: this.name,
        namespace,
        labels: { "app.kubernetes.io/component": "speaker" },
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      spec: {
        holderIdentity: node,
        leaseDurationSeconds: durationSeconds,
        renewTime: microTime(Date.now()),
      },
    };
    try {
      await this.api.patchNamespacedLease({ name: this.name, namespace, body }, mergePatch);
      this.renewedAt = performance.now();
    } catch (err) {
      if ((err as { code?: number }).code !== 404) {
        this.opts.log.warn("could not renew the speaker Lease", { error: String(err) });
        return;
      }
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: { ...body, spec: { ...body.spec, renewTime: undefined } },
        });
        await this.api.patchNamespacedLease({ name: this.name, namespace, body }, mergePatch);
        this.renewedAt = performance.now();
      } catch (e) {
        this.opts.log.warn("could not create the speaker Lease", { error: String(e) });
      }
    }
  }
}
