// API clients whose every request gives up after a deadline. Without one, a request to an API
// server that accepted the connection and then stalled (a half-open TCP connection, an overloaded
// or partitioned server) waits forever, and whatever awaits it — a Lease renewal, a status write —
// stops with it.
import {
  createConfiguration,
  ServerConfiguration,
  type Configuration,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
} from "@kubernetes/client-node";

/** Reads and writes of single objects. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Lists (an informer's first sync of a large cluster). */
export const LIST_TIMEOUT_MS = 60_000;

/** Like kc.makeApiClient(type), with a deadline on every request. */
export function apiClient<T>(
  kc: KubeConfig,
  type: new (config: Configuration) => T,
  timeoutMs = REQUEST_TIMEOUT_MS,
): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new Error(
      "the kubeconfig names no current cluster: set current-context, or run in a Pod",
    );
  return new type(
    createConfiguration({
      baseServer: new ServerConfiguration<Record<string, string>>(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [
        {
          pre: (ctx: RequestContext) => {
            ctx.setSignal(AbortSignal.timeout(timeoutMs));
            return Promise.resolve(ctx);
          },
          post: (ctx: ResponseContext) => Promise.resolve(ctx),
        },
      ],
    }),
  );
}
