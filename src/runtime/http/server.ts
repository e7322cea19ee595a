// The operational HTTP endpoints: /metrics on one port, /healthz and /readyz on another.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";

export interface Probe {
  /** Undefined when fine, else why not (returned with 503). */
  (): string | undefined;
}

export interface Reply {
  status: number;
  body: string;
  type?: string;
}

export type Route = (req: IncomingMessage) => Reply | Promise<Reply>;

/** Serves GET routes; over TLS when `tls` is given. */
export function listen(
  port: number,
  routes: Record<string, Route>,
  tls?: { cert: string; key: string },
): Promise<Server> {
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const route = routes[(req.url ?? "/").split("?")[0] ?? "/"];
    if (!route || req.method !== "GET") {
      res.writeHead(404).end("not found\n");
      return;
    }
    void Promise.resolve(route(req)).then(
      (r) =>
        res
          .writeHead(r.status, { "content-type": r.type ?? "text/plain; charset=utf-8" })
          .end(r.body),
      (err: unknown) => res.writeHead(500).end(`${String(err)}\n`),
    );
  };
  const server: Server = tls ? createTlsServer(tls, handle) : createServer(handle);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => resolve(server));
  });
}

export const probeRoute = (probe: Probe) => (): Reply => {
  const why = probe();
  return why === undefined ? { status: 200, body: "ok\n" } : { status: 503, body: `${why}\n` };
};
