// Leader election on a Lease: the decision is decideLease (pure); this loop reads and writes the
// Lease with optimistic concurrency, so two candidates can never both win a round.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import type { Logger } from "../log.js";
import { decideLease, leaseRecord, type LeaseState } from "./lease-decision.js";
import { mergePatch, microTime } from "./patch.js";
import { apiClient } from "./api-client.js";

export interface ElectorOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  durationSeconds: number;
  log: Logger;
}

const toState = (l: V1Lease | undefined): LeaseState | undefined => {
  const s = l?.spec;
  if (!s) return undefined;
  return {
    ...(s.holderIdentity ? { holder: s.holderIdentity } : {}),
    ...(s.renewTime ? { renewTime: new Date(s.renewTime).getTime() } : {}),
    ...(s.acquireTime ? { acquireTime: new Date(s.acquireTime).getTime() } : {}),
    ...(s.leaseDurationSeconds ? { durationSeconds: s.leaseDurationSeconds } : {}),
    ...(s.leaseTransitions !== undefined ? { transitions: s.leaseTransitions } : {}),
  };
};

const toSpec = (s: LeaseState) => ({
  holderIdentity: s.holder ?? null,
  leaseDurationSeconds: s.durationSeconds ?? 15,
  acquireTime: s.acquireTime ? microTime(s.acquireTime) : null,
  renewTime: s.renewTime ? microTime(s.renewTime) : null,
  leaseTransitions: s.transitions ?? 0,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Monotonic milliseconds: deadlines must not move when the wall clock is stepped. */
const mono = () => performance.now();

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private stopped = false;
  private leading = false;
  private lastRenew = 0;
  /** The Lease's record as last read, and when (monotonic) it was first seen so. */
  private observed = { record: "", at: 0 };

  constructor(private readonly opts: ElectorOptions) {
    this.api = apiClient(opts.kc, CoordinationV1Api);
  }

  /**
   * Campaigns until stop(). Calls onElected once on winning; calls onLost when a won Lease could
   * not be renewed within its duration (the caller should stop writing at once).
   */
  async run(onElected: () => Promise<void>, onLost: () => void): Promise<void> {
    const { durationSeconds, identity, log } = this.opts;
    const period = Math.max(200, (durationSeconds * 1000) / 5);
    while (!this.stopped) {
      try {
        const current = await this.read();
        const state = toState(current);
        const record = leaseRecord(state);
        if (record !== this.observed.record) this.observed = { record, at: mono() };
        const d = decideLease(
          state,
          identity,
          { wall: Date.now(), mono: mono(), observedAt: this.observed.at },
          durationSeconds,
        );
        if (d.action !== "wait") {
          await this.write(current, d.lease);
          this.lastRenew = mono();
          if (!this.leading) {
            this.leading = true;
            log.info("became leader", { lease: this.opts.name, identity });
            // Not awaited: a long initial sync must not delay the next renewal.
            onElected().catch((err: unknown) =>
              this.lose(onLost, `could not start: ${String(err)}`),
            );
          }
        } else if (this.leading) {
          this.lose(onLost, `the Lease is held by ${d.holder}`);
        }
      } catch (err) {
        log.warn("leader election round failed", { error: String(err) });
        if (this.leading && mono() - this.lastRenew > durationSeconds * 1000) {
          this.lose(onLost, "could not renew the Lease within its duration");
        }
      }
      await sleep(period);
    }
  }

  isLeading(): boolean {
    return this.leading;
  }

  /** Stops campaigning; a leader gives the Lease up so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (!this.leading) return;
    try {
      const current = await this.read();
      if (current?.spec?.holderIdentity === this.opts.identity) {
        await this.write(current, {
          durationSeconds: 1,
          renewTime: 0,
          transitions: current.spec.leaseTransitions ?? 0,
        });
      }
    } catch (err) {
      this.opts.log.warn("could not release the Lease", { error: String(err) });
    }
  }

  private lose(onLost: () => void, why: string): void {
    this.leading = false;
    this.opts.log.error("lost leadership", { reason: why });
    onLost();
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({
        name: this.opts.name,
        namespace: this.opts.namespace,
      });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  private async write(current: V1Lease | undefined, state: LeaseState): Promise<void> {
    const { name, namespace } = this.opts;
    // The typed client would send times with millisecond precision, which the API server refuses
    // for MicroTime; a merge patch carries them as text. The resourceVersion in the patch makes
    // it conditional: a concurrent write by another candidate fails with 409.
    const base =
      current ??
      (await this.api.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: { leaseDurationSeconds: state.durationSeconds ?? 15 },
        },
      }));
    await this.api.patchNamespacedLease(
      {
        name,
        namespace,
        body: {
          metadata: { resourceVersion: base.metadata?.resourceVersion },
          spec: toSpec(state),
        },
      },
      mergePatch,
    );
  }
}
