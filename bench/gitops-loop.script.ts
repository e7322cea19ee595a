// Benchmark: the GitOps loop under real Flux (tests/gitops' environment: real API server, Flux's
// controllers built from source, kwok, the local Git host). Measures, for cluster lab-l2:
//   - bootstrap → release and policies Ready from an empty cluster;
//   - push → new IPAddressPool in the API server, with the Git host's webhook calling the
//     Receiver (--pushed samples) and without it, Flux's GitRepository poll alone (--polled).
// Writes bench/results/gitops-*.json. Run: npx tsx bench/gitops-loop.script.ts [--pushed N]
// [--polled N]. The polled samples wait for the tree's 5-minute interval: minutes each.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { NAMESPACE, POLICIES_SYNC, RELEASE_SYNC, overridePath } from "../src/gitops/synth/tree.js";
import { bootstrap, startGitopsEnv } from "../src/lab/gitops/env.js";
import { FLUX_NAMESPACE } from "../src/lab/gitops/flux.js";
import { FluxStatus, poolNames, ready } from "../src/lab/gitops/status.js";
import { waitFor } from "../src/sys/proc.js";
import { writeFigure } from "./lib/figures.js";

const ROOT = join(import.meta.dirname, "..");
const CLUSTER = "lab-l2";
const { values } = parseArgs({
  options: { pushed: { type: "string", default: "5" }, polled: { type: "string", default: "2" } },
});

const env = await startGitopsEnv({ source: ROOT, nodes: [{ name: "node-a" }, { name: "node-b" }] });
const log = (m: string) => console.error(`[gitops-loop] ${m}`);
try {
  const flux = new FluxStatus(env.kube.kubeconfigs.admin);
  const pools = () => poolNames(env.kube.kubeconfigs.admin, NAMESPACE);

  const start = Date.now();
  const hooks = await bootstrap(env, CLUSTER, { webhook: true });
  const head = await env.repo.head();
  for (const name of [RELEASE_SYNC, POLICIES_SYNC])
    await waitFor(
      `${name} Ready`,
      async () => {
        const k = await flux.get("Kustomization", FLUX_NAMESPACE, name);
        return ready(k)?.status === "True" && k.status?.lastAppliedRevision?.endsWith(head)
          ? true
          : undefined;
      },
      600_000,
      250,
    );
  const bootstrapMs = Date.now() - start;
  log(`bootstrap → Ready: ${bootstrapMs} ms`);
  writeFigure({
    name: "gitops-bootstrap-ready",
    unit: "ms",
    value: bootstrapMs,
    params: { cluster: CLUSTER },
  });

  let n = 0;
  /** One pushed pool: push → the pool exists in the API server. */
  async function sample(): Promise<number> {
    const name = `bench-${++n}`;
    env.repo.edit(overridePath(CLUSTER), (t) =>
      t.replace(
        "  l2Advertisements:",
        [
          `    - name: ${name}`,
          "      spec:",
          "        addresses:",
          `          - 198.51.100.${200 + n}/32`,
          "        autoAssign: false",
          "  l2Advertisements:",
        ].join("\n"),
      ),
    );
    const t0 = Date.now();
    await env.repo.push(`add pool ${name}`);
    await waitFor(
      `pool ${name}`,
      async () => ((await pools()).includes(name) ? true : undefined),
      900_000,
      100,
    );
    const ms = Date.now() - t0;
    // Let the release settle (Helm's wait, the Kustomization's health check) before the next.
    const settled = await env.repo.head();
    await waitFor(
      "release Kustomization Ready",
      async () => {
        const k = await flux.get("Kustomization", FLUX_NAMESPACE, RELEASE_SYNC);
        return ready(k)?.status === "True" && k.status?.lastAppliedRevision?.endsWith(settled)
          ? true
          : undefined;
      },
      600_000,
      250,
    );
    return ms;
  }

  const summary = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor((s.length - 1) / 2)] ?? 0, max: s.at(-1) ?? 0 };
  };
  for (const [mode, count] of [
    ["receiver", Number(values.pushed)],
    ["poll", Number(values.polled)],
  ] as const) {
    if (!count) continue;
    hooks.setWebhook(mode === "receiver");
    const xs: number[] = [];
    for (let i = 0; i < count; i++) {
      xs.push(await sample());
      log(`push → pool (${mode}) #${i + 1}: ${xs.at(-1)} ms`);
    }
    const { median, max } = summary(xs);
    writeFigure({
      name: `gitops-push-to-pool-${mode}`,
      unit: "ms",
      value: median,
      params: { samples: xs.join(","), max, cluster: CLUSTER },
    });
    log(`push → pool (${mode}): median ${median} ms, max ${max} ms over ${count}`);
  }
} finally {
  await env.stop();
}
