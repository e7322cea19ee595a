// An OCI registry for the lab and the GitOps tests: the CNCF distribution registry (built by
// tools/provision.sh) on loopback, plain HTTP, storing into the KubeEnv's directory and stopped
// with it. Flux's source-controller pulls from it with `insecure: true`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort } from "../../sys/ports.js";
import { waitFor } from "../../sys/proc.js";
import { cachedTool } from "../../sys/tools.js";
import type { KubeEnv } from "../kube/cluster.js";

export interface Registry {
  /** 127.0.0.1:<port> */
  host: string;
  /** oci://127.0.0.1:<port>/<path> */
  url(path: string): string;
  /** The tags of one repository, e.g. "charts/metallb-ts". */
  tags(repository: string): Promise<string[]>;
}

export async function startRegistry(env: KubeEnv): Promise<Registry> {
  const root = join(env.dir, "registry");
  mkdirSync(root, { recursive: true });
  const host = `127.0.0.1:${await freePort()}`;
  const config = join(root, "config.yml");
  writeFileSync(
    config,
    stringify({
      version: 0.1,
      log: { level: "info", accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(root, "data") }, delete: { enabled: true } },
      http: { addr: host },
    }),
  );
  env.startPart("registry", [cachedTool("registry"), "serve", config], {
    PATH: process.env.PATH,
    // The registry's own tracing exporter is off unless asked for; keep it so.
    OTEL_TRACES_EXPORTER: "none",
  });
  await waitFor(
    `registry on ${host}`,
    async () => ((await fetch(`http://${host}/v2/`).catch(() => undefined))?.ok ? true : undefined),
    30_000,
    100,
  );
  return {
    host,
    url: (path) => `oci://${host}/${path.replace(/^\/+/, "")}`,
    async tags(repository) {
      const res = await fetch(`http://${host}/v2/${repository}/tags/list`);
      if (res.status === 404) return [];
      return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
    },
  };
}
