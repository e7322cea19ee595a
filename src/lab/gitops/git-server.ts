// A Git host for the lab and the GitOps tests: bare repositories served over smart HTTP by
// `git http-backend` (CGI) on loopback, fetch and push, and a push webhook as a Git host would
// call it (POST after every accepted push), e.g. to Flux's notification-controller Receiver.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { run } from "../../sys/proc.js";

export interface GitServer {
  /** http://127.0.0.1:<port>/<name>.git */
  url(name: string): string;
  /** Creates an empty bare repository that accepts pushes over HTTP. */
  createRepository(name: string): Promise<string>;
  /** Called with the repository name after each accepted push (the Git host's webhook). */
  onPush(hook: (repo: string) => void | Promise<void>): void;
  /** Pushes and webhooks so far, e.g. to tell a poll from a webhook-triggered fetch. */
  readonly pushes: number;
  close(): Promise<void>;
}

function cgi(root: string, req: IncomingMessage, res: ServerResponse, onDone: () => void): void {
  const url = new URL(req.url ?? "/", "http://localhost");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_ADDR: req.socket.remoteAddress ?? "",
    // http-backend inflates gzip bodies itself, and speaks protocol v2 when asked.
    HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
    GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
  };
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headerDone = false;
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    if (headerDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headerDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString().split("\r\n")) {
      const i = line.indexOf(":");
      const [name, value] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
      if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  child.on("close", (code) => {
    if (!headerDone) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.write(`git http-backend exited ${code}: ${stderr}`);
    }
    res.end();
    if (code === 0) onDone();
  });
}

export async function startGitServer(root: string): Promise<GitServer> {
  mkdirSync(root, { recursive: true });
  const hooks: ((repo: string) => void | Promise<void>)[] = [];
  let pushes = 0;
  const server = createServer((req, res) => {
    const pushed = req.method === "POST" && (req.url ?? "").endsWith("/git-receive-pack");
    cgi(root, req, res, () => {
      if (!pushed) return;
      pushes++;
      const repo = (req.url ?? "").replace(/^\/(.*)\.git\/git-receive-pack$/, "$1");
      for (const hook of hooks) void Promise.resolve(hook(repo)).catch(() => undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}.git`,
    async createRepository(name) {
      const dir = join(root, `${name}.git`);
      await run(["git", "init", "-q", "--bare", "-b", "main", dir]);
      // Anonymous pushes over HTTP: a lab host on loopback, nobody else reaches it.
      await run(["git", "-C", dir, "config", "http.receivepack", "true"]);
      return dir;
    },
    onPush: (hook) => void hooks.push(hook),
    get pushes() {
      return pushes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
