// `validate` and the API server agree on what Helm lets through: for each bad override whose
// mistake Helm renders without complaint (repeated items of `set`/`map` lists, requests above
// limits, bad tolerations, label keys and values), `validate` refuses the override and the API
// server refuses the rendered object — the same object — and accepts every other one.
import { KubernetesObjectApi } from "@kubernetes/client-node";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { defaultValues } from "../../src/api/values/defaults.js";
import { hardenedValues } from "../../src/api/values/hardened.js";
import type { Values } from "../../src/api/values/schema.js";
import { RUNTIME_NAMESPACE } from "../../src/lab/kube/identities.js";
import { mergeValues } from "../../src/gitops/validate/merge.js";
import { checkOverride } from "../../src/gitops/validate/override-check.js";
import { dryRunApply, overrideOf, render, ROOT } from "./chart-helpers.js";
import { kubeConfigFor } from "./client.js";

const objects = KubernetesObjectApi.makeApiClient(kubeConfigFor("admin"));
const BAD = join(ROOT, "tests/fixtures/overrides/bad");
const FIXTURES = [
  "community-alias-twice-in-one-object.yaml",
  "advertisement-community-repeated.yaml",
  "pool-namespace-repeated.yaml",
  "l2-interface-repeated.yaml",
  "advertisement-pool-repeated.yaml",
];
const KIND_OF_LIST: Record<string, string> = {
  communities: "Community",
  bgpAdvertisements: "BGPAdvertisement",
  l2Advertisements: "L2Advertisement",
  ipAddressPools: "IPAddressPool",
};
const base = mergeValues(defaultValues("0.1.0"), hardenedValues("0.1.0")) as Values;

describe("list types: validate and the API server agree", () => {
  it.each(FIXTURES)("%s: both refuse the same object", async (file) => {
    const text = readFileSync(join(BAD, file), "utf8");
    const config = (parse(text) as { config: Record<string, { name: string }[]> }).config;
    // Each error's path is config.<list>[i]…: the object is that entry of the override.
    const named = checkOverride(text, base, RUNTIME_NAMESPACE)
      .problems.filter((p) => p.severity === "error")
      .map((p) => {
        const [, list = "", index = 0] = p.path as [string, string, number];
        return `${KIND_OF_LIST[list] ?? list}/${config[list]?.[index]?.name ?? "?"}`;
      });
    expect(named.length).toBeGreaterThan(0);
    const rendered = (await render(RUNTIME_NAMESPACE, [join(BAD, file)])).filter((o) =>
      o.apiVersion.startsWith("metallb.io/"),
    );
    const verdicts = await Promise.all(rendered.map((o) => dryRunApply(objects, o)));
    const refused = verdicts.filter((v): v is string => v !== undefined);
    expect(refused.map((v) => v.split(":")[0])).toEqual([...new Set(named)]);
    // Server-side apply (what Flux uses) refuses them before validation, naming the key.
    for (const v of refused) expect(v).toMatch(/: duplicate entries for key \[/);
  });
});

/** Mistakes in what the chart renders into workloads and object metadata. */
const RENDERED: [file: string, refused: string, because: RegExp][] = [
  [
    "request-above-limit.yaml",
    "Deployment/metallb-system-controller",
    /must be less than or equal to memory limit/,
  ],
  [
    "toleration-exists-with-value.yaml",
    "DaemonSet/metallb-system-speaker",
    /value must be empty when `operator` is 'Exists'/,
  ],
  [
    "toleration-seconds-noschedule.yaml",
    "DaemonSet/metallb-system-speaker",
    /effect must be 'NoExecute' when `tolerationSeconds` is set/,
  ],
  [
    "node-selector-value-invalid.yaml",
    "DaemonSet/metallb-system-speaker",
    /nodeSelector: Invalid value: "rack 12"/,
  ],
  ["pool-label-key-with-space.yaml", "IPAddressPool/gold", /metadata.labels: Invalid value/],
];

describe("rendered objects: validate and the API server agree", () => {
  it.each(RENDERED)(
    "%s: validate refuses it, the API server refuses %s only",
    async (file, kindName, because) => {
      const text = readFileSync(join(BAD, file), "utf8");
      const errors = checkOverride(text, base, RUNTIME_NAMESPACE).problems.filter(
        (p) => p.severity === "error",
      );
      expect(errors.length).toBeGreaterThan(0);
      const rendered = await render(RUNTIME_NAMESPACE, [join(BAD, file)]);
      const verdicts = await Promise.all(rendered.map((o) => dryRunApply(objects, o)));
      const refused = verdicts.filter((v): v is string => v !== undefined);
      expect(refused.map((v) => v.split(":")[0])).toEqual([kindName]);
      expect(refused[0]).toMatch(because);
    },
  );
});

/**
 * The chart's rendering of an override as the cluster judges it: Helm's own schema check, then
 * a server-side-apply dry run of every object. Kinds this API server does not serve (the
 * Prometheus operator's; chart.test.ts checks them against their schema) are not judged.
 */
async function clusterVerdict(file: string): Promise<string[]> {
  let rendered;
  try {
    rendered = await render(RUNTIME_NAMESPACE, [file]);
  } catch {
    return ["helm refuses"];
  }
  const verdicts = await Promise.all(rendered.map((o) => dryRunApply(objects, o)));
  return verdicts.filter(
    (v): v is string => v !== undefined && !v.trimEnd().endsWith(": 404 page not found"),
  );
}

const corpus = (kind: "bad" | "good") =>
  readdirSync(join(ROOT, "tests/fixtures/overrides", kind))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => [f, join(ROOT, "tests/fixtures/overrides", kind, f)] as const);

// Each bad override records, under its `# expect:` line, how the cluster takes it:
//   # cluster: helm refuses | refuses Kind/name[, Kind/name…] | accepts (why validate is stricter)
// so that a rule the API server gains or loses later shows up here as a changed verdict.
describe("the whole corpus: validate never passes what the cluster refuses", () => {
  it.each(corpus("bad"))("%s: the cluster's verdict is the recorded one", async (_, path) => {
    const text = readFileSync(path, "utf8");
    const recorded = /^# cluster: (.*)$/m.exec(text)?.[1];
    expect(recorded, "the fixture needs a '# cluster:' line").toBeDefined();
    const verdict = await clusterVerdict(path);
    if (recorded === "helm refuses") expect(verdict).toEqual(["helm refuses"]);
    else if (recorded?.startsWith("refuses "))
      expect([...new Set(verdict.map((v) => v.split(":")[0]))].sort()).toEqual(
        recorded.slice("refuses ".length).split(", "),
      );
    else expect(verdict).toEqual([]);
  });

  it.each(corpus("good"))("%s: the cluster accepts every object", async (_, path) => {
    expect(await clusterVerdict(path)).toEqual([]);
  });

  it.each(["lab-l2", "lab-bgp", "lab"])("the example cluster %s: accepted", async (cluster) => {
    expect(await clusterVerdict(overrideOf(cluster))).toEqual([]);
  });
});
