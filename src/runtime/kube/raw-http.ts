// Requests to the API server as plain JSON over node:http(s), for the paths every Service goes
// through (lists, status and annotation patches, events). The typed client copies each response
// into generated classes and runs a promise pipeline per request; at 5,000 Services that was most
// of the controller's CPU and garbage, for responses nothing reads.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

interface Pooled {
  tls: readonly unknown[];
  agent: Agent;
}

/** The kubeconfig's files are read again for every request: equal contents are the same. */
const same = (a: unknown, b: unknown): boolean =>
  a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));

/** One keep-alive agent per KubeConfig, replaced when its TLS material changes. */
const pools = new WeakMap<KubeConfig, Pooled>();

/**
 * applyToHTTPSOptions builds a new https.Agent on every call, so each request would pay a TCP and
 * TLS handshake (at 5,000 Services that doubled the controller's CPU). The agent it built is
 * swapped for a kept-alive one with the same TLS material.
 */
function pooledAgent(kc: KubeConfig, fresh: unknown): Agent | undefined {
  if (!(fresh instanceof Agent)) return undefined;
  const o = fresh.options;
  const tls = [o.ca, o.cert, o.key, o.pfx, o.rejectUnauthorized, o.servername];
  const known = pools.get(kc);
  if (known && known.tls.every((v, i) => same(v, tls[i]))) return known.agent;
  known?.agent.destroy();
  const agent = new Agent({ ...o, keepAlive: true });
  pools.set(kc, { tls, agent });
  return agent;
}

/** An API server's refusal. `code` is the HTTP status, as the typed client's ApiException has. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ApiRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Path and query, e.g. /api/v1/namespaces/a/services/b/status. */
  path: string;
  body?: unknown;
  /** application/json unless given (a patch names its strategy). */
  contentType?: string;
  timeoutMs: number;
}

export const MERGE_PATCH = "application/merge-patch+json";

/**
 * Sends one request. Resolves with the response text on 2xx; rejects with an ApiError naming the
 * method, the path, the status and the server's message otherwise, and with the transport's
 * error when there is no response (refused, reset, timed out).
 */
export async function apiRequest(kc: KubeConfig, r: ApiRequest): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new Error(
      "the kubeconfig names no current cluster: set current-context, or run in a Pod",
    );
  const url = new URL(cluster.server + r.path);
  const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
  const headers: Record<string, string> = { Accept: "application/json" };
  if (payload !== undefined) {
    headers["Content-Type"] = r.contentType ?? "application/json";
    headers["Content-Length"] = String(Buffer.byteLength(payload));
  }
  const opts: RequestOptions & Record<string, unknown> = { method: r.method, headers };
  await kc.applyToHTTPSOptions(opts);
  const agent = pooledAgent(kc, opts.agent);
  if (agent) opts.agent = agent;
  const send = url.protocol === "http:" ? httpRequest : httpsRequest;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = send(url, { ...opts, signal: AbortSignal.timeout(r.timeoutMs) }, resolve);
    req.on("error", reject);
    req.end(payload);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return text;
  let message = text.slice(0, 500);
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // not a Status object: keep the text
  }
  throw new ApiError(`${r.method} ${url.pathname}: HTTP ${status}: ${message}`, status);
}

/** apiRequest, with the response parsed as JSON. */
export async function apiJson<R>(kc: KubeConfig, r: ApiRequest): Promise<R> {
  return JSON.parse(await apiRequest(kc, r)) as R;
}

/** A path segment, escaped (names and namespaces are DNS labels, but a caller may pass anything). */
export const seg = (s: string): string => encodeURIComponent(s);
