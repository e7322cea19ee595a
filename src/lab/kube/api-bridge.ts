// Lab namespaces have no route out, yet speakers in them must reach the test API server on the
// host's loopback. A Unix socket crosses namespaces (it lives in the filesystem): the host end
// forwards the socket to the API server's TCP port, and a small process inside each namespace
// listens on the same 127.0.0.1 port and forwards to the socket. TLS passes through untouched,
// so the speaker's kubeconfig is the host's, unchanged.
import { createRequire } from "node:module";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";

function pipe(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on("error", end).on("close", end);
  b.on("error", end).on("close", end);
}

/** Host end: connections on the Unix socket go to 127.0.0.1:port. */
export function serveUnixToTcp(socketPath: string, port: number): Promise<Server> {
  const server = createServer((c) => pipe(c, createConnection({ host: "127.0.0.1", port })));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve(server));
  });
}

/** Namespace end: connections on 127.0.0.1:port go to the Unix socket. */
export function serveTcpToUnix(port: number, socketPath: string): Promise<Server> {
  const server = createServer((c) => pipe(c, createConnection({ path: socketPath })));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** The command that runs the namespace end (this file, through tsx) inside a namespace. */
export function namespaceEndArgv(port: number, socketPath: string): string[] {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return [
    process.execPath,
    "--import",
    tsx,
    fileURLToPath(import.meta.url),
    String(port),
    socketPath,
  ];
}

// Run as a script inside a namespace: api-bridge.ts <port> <socket path>
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "\0")) {
  const [port, path] = process.argv.slice(2);
  if (!port || !path) {
    process.stderr.write("usage: api-bridge.ts <port> <unix socket path>\n");
    process.exit(2);
  }
  await serveTcpToUnix(Number(port), path);
  process.stderr.write(`bridging 127.0.0.1:${port} to ${path}\n`);
}
