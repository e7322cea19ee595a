// Speaker discovery through Kubernetes: one Lease per node in the runtime namespace, renewed at a
// fixed period whatever the number of Services, deleted when the speaker leaves. Fast failure
// detection is the heartbeats' job; the Leases say who exists (and where its heartbeats come
// from) and are the fallback when heartbeats are off.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import type { Logger } from "../log.js";
import { mergePatch, microTime } from "../kube/patch.js";

export const SPEAKER_LEASE_PREFIX = "metallb-speaker-";
/** Annotation on a speaker Lease: where its heartbeats come from ("address:port"). */
export const HEARTBEAT_ANNOTATION = "metallb.io/heartbeat-address";

export interface LeaseFacts {
  node: string;
  renewedAt: number;
  durationSeconds: number;
  heartbeatAddress?: string;
}

export function leaseFacts(lease: V1Lease): LeaseFacts | undefined {
  const name = lease.metadata?.name ?? "";
  if (!name.startsWith(SPEAKER_LEASE_PREFIX)) return undefined;
  const renew = lease.spec?.renewTime;
  const hb = lease.metadata?.annotations?.[HEARTBEAT_ANNOTATION];
  return {
    node: lease.spec?.holderIdentity ?? name.slice(SPEAKER_LEASE_PREFIX.length),
    renewedAt: renew ? new Date(renew).getTime() : 0,
    durationSeconds: lease.spec?.leaseDurationSeconds ?? 0,
    ...(hb ? { heartbeatAddress: hb } : {}),
  };
}

/** Nodes whose speaker Lease has not expired (pure). */
export function liveFromLeases(leases: readonly LeaseFacts[], now: number): Set<string> {
  return new Set(
    leases.filter((l) => l.renewedAt + l.durationSeconds * 1000 > now).map((l) => l.node),
  );
}

export class NodeLease {
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private readonly name: string;

  constructor(
    kc: KubeConfig,
    private readonly opts: {
      namespace: string;
      node: string;
      durationSeconds: number;
      heartbeatAddress?: string;
      log: Logger;
    },
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.name = `${SPEAKER_LEASE_PREFIX}${opts.node}`;
  }

  /** Renews now and then every third of the duration. */
  async start(): Promise<void> {
    await this.renew();
    const period = (this.opts.durationSeconds * 1000) / 3;
    this.timer = setInterval(() => void this.renew(), period);
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
    const body = {
      metadata: {
        name: this.name,
        namespace,
        labels: { "app.kubernetes.io/component": "speaker" },
        ...(heartbeatAddress ? { annotations: { [HEARTBEAT_ANNOTATION]: heartbeatAddress } } : {}),
      },
      spec: {
        holderIdentity: node,
        leaseDurationSeconds: durationSeconds,
        renewTime: microTime(Date.now()),
      },
    };
    try {
      await this.api.patchNamespacedLease({ name: this.name, namespace, body }, mergePatch);
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
      } catch (e) {
        this.opts.log.warn("could not create the speaker Lease", { error: String(e) });
      }
    }
  }
}
