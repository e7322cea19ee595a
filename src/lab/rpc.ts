// JSON-lines RPC over a Unix socket: how tests drive processes running inside lab namespaces
// (a Unix socket path is reachable from every network namespace). One request per line
// {id, method, params}; one answer per line {id, result} or {id, error: {message, code}}.
import { rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";

export type Handler = (params: Record<string, unknown>) => unknown;

function lines(socket: Socket, onLine: (line: string) => void): void {
  let buf = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) onLine(line);
    }
  });
}

/** Serves `handlers` on `path` (replacing a stale socket file). */
export function serveRpc(path: string, handlers: Record<string, Handler>): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    socket.on("error", () => socket.destroy());
    lines(socket, (line) => {
      let id: unknown = null;
      void (async () => {
        try {
          const req = JSON.parse(line) as {
            id: unknown;
            method: string;
            params?: Record<string, unknown>;
          };
          id = req.id;
          const handler = handlers[req.method];
          if (!handler) throw new Error(`unknown method "${req.method}"`);
          const result = await handler(req.params ?? {});
          socket.write(JSON.stringify({ id, result: result ?? null }) + "\n");
        } catch (err) {
          const e = err as Error & { code?: string };
          socket.write(JSON.stringify({ id, error: { message: e.message, code: e.code } }) + "\n");
        }
      })();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve(server));
  });
}

export class RpcError extends Error {
  constructor(
    readonly method: string,
    message: string,
    readonly code: string | undefined,
  ) {
    super(`${method}: ${message}`);
    this.name = "RpcError";
  }
}

export class RpcClient {
  private next = 1;
  private readonly pending = new Map<
    number,
    { method: string; resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  private constructor(private readonly socket: Socket) {
    lines(socket, (line) => {
      const res = JSON.parse(line) as {
        id: number;
        result?: unknown;
        error?: { message: string; code?: string };
      };
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.error) p.reject(new RpcError(p.method, res.error.message, res.error.code));
      else p.resolve(res.result);
    });
    socket.on("close", () => {
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: connection closed`));
      this.pending.clear();
    });
  }

  static connect(path: string): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        socket.on("error", () => undefined); // surfaced through "close" to pending calls
        resolve(new RpcClient(socket));
      });
    });
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    if (this.socket.destroyed)
      return Promise.reject(new Error(`${method}: connection to the driver is closed`));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(JSON.stringify({ id, method, params }) + "\n");
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
