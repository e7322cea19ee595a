// Every cluster declared in clusters.yaml installs under real Flux from an empty cluster, as
// synthesized: its release Kustomization, HelmRelease and policies become Ready, and the
// IPAddressPools of its override exist. One fresh cluster each (their Flux objects share names).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseClusters } from "../../src/gitops/synth/clusters.js";
import {
  NAMESPACE,
  POLICIES_SYNC,
  RELEASE,
  RELEASE_SYNC,
  overridePath,
} from "../../src/gitops/synth/tree.js";
import { bootstrap, startGitopsEnv } from "../../src/lab/gitops/env.js";
import { FLUX_NAMESPACE } from "../../src/lab/gitops/flux.js";
import { FluxStatus, poolNames, ready } from "../../src/lab/gitops/status.js";
import { LAB_CLUSTER } from "../../src/lab/start/layout.js";
import { waitFor } from "../../src/sys/proc.js";

const ROOT = new URL("../..", import.meta.url).pathname;
// The lab's own cluster is installed from empty under the same real Flux by the lab check
// (tests/net/lab-start.test.ts), which also runs its workloads; it is not installed twice.
const clusters = parseClusters(readFileSync(join(ROOT, "clusters.yaml"), "utf8")).clusters.filter(
  (c) => c.name !== LAB_CLUSTER,
);

describe.each(clusters.map((c) => c.name))("cluster %s under real Flux", (cluster) => {
  it("reaches Ready from an empty cluster, with its override's pools", async () => {
    const env = await startGitopsEnv({ source: ROOT, nodes: [{ name: "node-a" }] });
    try {
      await bootstrap(env, cluster, { webhook: false });
      const flux = new FluxStatus(env.kube.kubeconfigs.admin);
      const head = await env.repo.head();
      for (const [ns, kind, name] of [
        [FLUX_NAMESPACE, "Kustomization", RELEASE_SYNC],
        [NAMESPACE, "HelmRelease", RELEASE],
        [FLUX_NAMESPACE, "Kustomization", POLICIES_SYNC],
      ] as const) {
        let last = "";
        await waitFor(
          `${kind} ${name} Ready`,
          async () => {
            const o = await flux.get(kind, ns, name);
            last = JSON.stringify(ready(o));
            const atHead = kind === "HelmRelease" || o.status?.lastAppliedRevision?.endsWith(head);
            return ready(o)?.status === "True" && atHead ? true : undefined;
          },
          240_000,
          500,
        ).catch((err: Error) => {
          throw new Error(`${err.message}; last Ready condition: ${last}`);
        });
      }
      const wanted = (
        (
          parse(env.repo.read(overridePath(cluster))) as {
            config?: { ipAddressPools?: { name: string }[] };
          }
        ).config?.ipAddressPools ?? []
      ).map((p) => p.name);
      const pools = await poolNames(env.kube.kubeconfigs.admin, NAMESPACE);
      expect(wanted.length).toBeGreaterThan(0);
      expect(pools.sort()).toEqual(wanted.sort());
    } finally {
      await env.stop();
    }
  });
});
