// The operational HTTP endpoints: /metrics on one port, /healthz and /readyz on another.
import { createServer, type Server } from "node:http";

export interface Probe {
  /** Undefined when fine, else why not (returned with 503). */
  (): string | undefined;
}

export interface Reply {
  status: number;
  body: string;
  type?: string;
}

export function listen(port: number, routes: Record<string, () => Reply>): Promise<Server> {
  const server = createServer((req, res) => {
    const route = routes[(req.url ?? "/").split("?")[0] ?? "/"];
    if (!route || req.method !== "GET") {
      res.writeHead(404).end("not found\n");
      return;
    }
    const r = route();
    res.writeHead(r.status, { "content-type": r.type ?? "text/plain; charset=utf-8" }).end(r.body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => resolve(server));
  });
}

export const probeRoute = (probe: Probe) => (): Reply => {
  const why = probe();
  return why === undefined ? { status: 200, body: "ok\n" } : { status: 503, body: `${why}\n` };
};
