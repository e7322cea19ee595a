// What the shells read the cluster through: a cache of one resource kept current by a watch,
// with change notifications. The informer-backed store is the production one; tests hand the
// shells in-memory stores instead (tests/unit/fakes/kube.ts).
import {
  ListWatch,
  Watch,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from "@kubernetes/client-node";
import type { Logger } from "../log.js";

export type Change = "add" | "update" | "delete";

export interface Store<T extends KubernetesObject> {
  list(namespace?: string): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  on(change: Change, fn: (obj: T) => void): void;
  /**
   * Whether the cache follows the API server: false before the first list and from a failed
   * watch until it has been listed again (the cache may be stale then).
   */
  synced(): boolean;
  /** Resolves once the first list has arrived (retrying while the API server warms up). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Watched<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

/**
 * What a cached object sheds: managedFields, the API server's record of which manager set which
 * field. Nothing here reads it, and it is the larger part of a Service the controller has written
 * (a nested map per manager) — at 5,000 Services most of the cache.
 */
export function trimObject<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) obj.metadata.managedFields = undefined;
  return obj;
}

/** client-node's Watch, handing on each object trimmed before the informer caches it. */
class TrimmingWatch extends Watch {
  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: KubernetesObject, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, obj: KubernetesObject, raw) => callback(phase, trimObject(obj), raw),
      done,
    );
  }
}

export interface WatchSpec<T extends KubernetesObject> {
  /** The REST path watched, e.g. /api/v1/services. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  /** Server-side field selector (also applied to the list). */
  fieldSelector?: string;
}

/** A Store over client-node's informer: a failed watch is restarted, never given up on. */
export class InformerStore<T extends KubernetesObject> implements Store<T> {
  private readonly inf: Watched<T>;
  private stopped = false;
  private isSynced = false;
  /** Watch failures so far: a (re)start that saw none has listed and is watching. */
  private failures = 0;
  private starting = false;

  constructor(
    kc: KubeConfig,
    spec: WatchSpec<T>,
    private readonly log: Logger,
  ) {
    const list = async (): Promise<KubernetesListObject<T>> => {
      const l = await spec.list();
      l.items = l.items.map(trimObject);
      return l;
    };
    this.inf = new ListWatch<T>(
      spec.path,
      new TrimmingWatch(kc),
      list,
      false,
      undefined,
      spec.fieldSelector,
    );
    this.inf.on("error", (err: unknown) => {
      this.failures++;
      this.isSynced = false;
      // During start() its own loop retries; afterwards the watch restarts itself.
      if (this.stopped || this.starting) return;
      this.log.warn("watch failed; restarting it", { path: spec.path, error: String(err) });
      setTimeout(() => this.restart(), 1000);
    });
  }

  list(namespace?: string): readonly T[] {
    return this.inf.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.inf.get(name, namespace);
  }

  on(change: Change, fn: (obj: T) => void): void {
    this.inf.on(change, fn);
  }

  synced(): boolean {
    return this.isSynced;
  }

  /**
   * Lists and watches again. client-node reports a failed list or watch through the error event
   * (which schedules the next attempt), not by rejecting start().
   */
  private async attempt(): Promise<boolean> {
    const before = this.failures;
    await this.inf.start();
    const ok = this.failures === before;
    if (ok) this.isSynced = true;
    return ok;
  }

  private restart(): void {
    if (!this.stopped) void this.attempt().catch(() => undefined);
  }

  async start(): Promise<void> {
    this.starting = true;
    try {
      for (let attempt = 1; !this.stopped; attempt++) {
        try {
          if (await this.attempt()) return;
          throw new Error("the first list failed");
        } catch (err) {
          // 429 "storage is (re)initializing" or connection refused while the API server starts.
          this.log.warn("initial list failed; retrying", { attempt, error: String(err) });
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
        }
      }
    } finally {
      this.starting = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.inf.stop();
  }
}

/** Starts stores in order, each once its first list arrived. */
export async function startAll(stores: readonly Store<KubernetesObject>[]): Promise<void> {
  for (const s of stores) await s.start();
}

export async function stopAll(stores: readonly Store<KubernetesObject>[]): Promise<void> {
  for (const s of stores) await s.stop();
}
