// Watches the Services of a namespace and notes, on the client's clock, the first moment each
// one's status shows an address. Survives watch drops by resuming from the last resourceVersion
// (or relisting when that is too old).
import { CoreV1Api, Watch, type KubeConfig, type V1Service } from "@kubernetes/client-node";

export interface Seen {
  at: number;
  ip: string;
}

const firstIp = (svc: V1Service): string | undefined =>
  svc.status?.loadBalancer?.ingress?.find((i) => i.ip)?.ip;

export class IpWatch {
  readonly seen = new Map<string, Seen>();
  /** How often the watch had to be resumed or relisted. */
  restarts = 0;
  private abort: AbortController | undefined;
  private stopped = false;
  private resourceVersion = "";

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
  ) {}

  async start(): Promise<void> {
    await this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private note(svc: V1Service): void {
    const name = svc.metadata?.name;
    const ip = firstIp(svc);
    if (name && ip && !this.seen.has(name)) this.seen.set(name, { at: performance.now(), ip });
  }

  private async relist(): Promise<void> {
    const list = await this.kc
      .makeApiClient(CoreV1Api)
      .listNamespacedService({ namespace: this.namespace });
    for (const svc of list.items) this.note(svc);
    this.resourceVersion = list.metadata?.resourceVersion ?? "";
    await this.watch();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    this.abort = await new Watch(this.kc).watch(
      `/api/v1/namespaces/${this.namespace}/services`,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
      (type, obj: V1Service & { code?: number }) => {
        if (type === "ERROR") {
          // 410 Gone: our resourceVersion was compacted away; only a fresh list helps.
          if (obj.code === 410) this.resourceVersion = "";
          return;
        }
        this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
        if (type !== "BOOKMARK") this.note(obj);
      },
      () => this.resume(),
    );
  }

  private resume(): void {
    if (this.stopped) return;
    this.restarts++;
    setTimeout(() => {
      const next = this.resourceVersion ? this.watch() : this.relist();
      next.catch(() => this.resume());
    }, 100);
  }
}
