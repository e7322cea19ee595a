// `metallb-ts validate [path]`: for every overlay under the path, the override file's schema and
// semantic checks, `kubectl kustomize` of the overlay and of the cluster's Flux objects, and
// `helm template` of the chart with the base and override values, every object checked against
// its kind's schema. Returns output lines; nothing is written.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { parse } from "yaml";
import type { Values } from "../../api/values/schema.js";
import { helmTemplate, type KubeObject } from "../tools/helm.js";
import { kustomizeBuild } from "../tools/kustomize.js";
import { ToolError } from "../tools/run.js";
import { BASE_DIR, NAMESPACE, OVERRIDE_SECRET, RELEASE, fluxDir, overlayDir } from "../tree.js";
import { mergeValues } from "./merge.js";
import { objectProblems } from "./objects.js";
import { checkOverride, reportLines } from "./override-check.js";
import { error, formatProblem, type Problem } from "./problem.js";

export interface ValidateResult {
  lines: string[];
  clusters: string[];
  errors: number;
  warnings: number;
}

const CHART = "charts/metallb-ts";
const HARDENED = `${BASE_DIR}/helm-values/hardened-values.yaml`;

/** The repository root and the clusters to check for a path given on the command line. */
export function locate(path: string): { root: string; clusters: string[] } {
  const abs = resolve(path);
  if (!existsSync(abs))
    throw new Error(`${path} does not exist — give the repository root or an overlay directory`);
  const dir = statSync(abs).isDirectory() ? abs : dirname(abs);
  if (existsSync(join(dir, "overlays"))) {
    const clusters = readdirSync(join(dir, "overlays"))
      .filter((c) => existsSync(join(dir, overlayDir(c), "override-values.yaml")))
      .sort();
    return { root: dir, clusters };
  }
  if (existsSync(join(dir, "override-values.yaml"))) {
    // overlays/<cluster>/services/metallb
    const root = resolve(dir, "../../../..");
    return { root, clusters: [basename(resolve(dir, "../.."))] };
  }
  throw new Error(
    `${path} holds neither overlays/ nor override-values.yaml — run validate at the repository root or on overlays/<cluster>/services/metallb`,
  );
}

const readYaml = (file: string): unknown => parse(readFileSync(file, "utf8")) as unknown;

function objectLines(where: string, objects: KubeObject[]): Problem[][] {
  return objects.map((o) =>
    objectProblems(o).map((p) => ({
      ...p,
      path: [`${o.kind}/${o.metadata?.name ?? "?"}`, ...p.path],
    })),
  );
}

async function tool<T>(
  what: () => Promise<T>,
  file: string,
  lines: string[],
): Promise<T | undefined> {
  try {
    return await what();
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    lines.push(
      formatProblem(file, undefined, error([], err.message, "fix the file the tool names")),
    );
    return undefined;
  }
}

async function checkCluster(root: string, cluster: string, base: Values): Promise<string[]> {
  const lines: string[] = [];
  const overlay = overlayDir(cluster);
  const overrideFile = `${overlay}/override-values.yaml`;
  const report = checkOverride(readFileSync(join(root, overrideFile), "utf8"), base, NAMESPACE);
  lines.push(...reportLines(overrideFile, report));

  const built = await tool(
    () => kustomizeBuild(join(root, overlay)),
    `${overlay}/kustomization.yaml`,
    lines,
  );
  if (built) {
    const secret = built.find((o) => o.kind === "Secret" && o.metadata.name === OVERRIDE_SECRET);
    if (!secret)
      lines.push(
        formatProblem(
          `${overlay}/kustomization.yaml`,
          undefined,
          error(
            [],
            `builds no Secret ${OVERRIDE_SECRET}, so the HelmRelease never sees the override`,
            "run `npm run synth` to restore the generated kustomization.yaml",
          ),
        ),
      );
    for (const ps of objectLines(overlay, built))
      for (const p of ps) lines.push(formatProblem(`${overlay}/kustomization.yaml`, undefined, p));
  }
  if (existsSync(join(root, fluxDir(cluster)))) {
    const flux = await tool(
      () => kustomizeBuild(join(root, fluxDir(cluster))),
      `${fluxDir(cluster)}/kustomization.yaml`,
      lines,
    );
    for (const ps of objectLines(fluxDir(cluster), flux ?? []))
      for (const p of ps)
        lines.push(formatProblem(`${fluxDir(cluster)}/kustomization.yaml`, undefined, p));
  }
  if (report.merged && !report.problems.some((p) => p.severity === "error")) {
    const where = `${CHART} (${cluster})`;
    const rendered = await tool(
      () =>
        helmTemplate({
          chartDir: join(root, CHART),
          release: RELEASE,
          namespace: NAMESPACE,
          valuesFiles: [join(root, HARDENED), join(root, overrideFile)],
        }),
      where,
      lines,
    );
    for (const ps of objectLines(where, rendered ?? []))
      for (const p of ps) lines.push(formatProblem(where, undefined, p));
  }
  return lines;
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of results. */
async function pooled<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function validateTree(path: string, concurrency = 2): Promise<ValidateResult> {
  const { root, clusters } = locate(path);
  const lines: string[] = [];
  for (const need of [`${CHART}/values.yaml`, HARDENED])
    if (!existsSync(join(root, need)))
      lines.push(
        formatProblem(
          need,
          undefined,
          error(
            [],
            "is missing",
            need === HARDENED ? "run `npm run synth`" : "run `npm run generate`",
          ),
        ),
      );
  if (!clusters.length)
    lines.push(
      formatProblem(
        relative(process.cwd(), root) || ".",
        undefined,
        error(
          ["overlays"],
          "no overlays/<cluster>/services/metallb/override-values.yaml found",
          "declare clusters in clusters.yaml and run `npm run synth`",
        ),
      ),
    );
  if (!lines.length) {
    const defaults = readYaml(join(root, CHART, "values.yaml")) as Values;
    const hardenedReport = checkOverride(
      readFileSync(join(root, HARDENED), "utf8"),
      defaults,
      NAMESPACE,
    );
    lines.push(...reportLines(HARDENED, hardenedReport));
    const base = mergeValues(defaults, readYaml(join(root, HARDENED))) as Values;
    const baseBuilt = await tool(
      () => kustomizeBuild(join(root, BASE_DIR)),
      `${BASE_DIR}/kustomization.yaml`,
      lines,
    );
    for (const ps of objectLines(BASE_DIR, baseBuilt ?? []))
      for (const p of ps) lines.push(formatProblem(`${BASE_DIR}/kustomization.yaml`, undefined, p));
    for (const clusterLines of await pooled(clusters, concurrency, (c) =>
      checkCluster(root, c, base),
    ))
      lines.push(...clusterLines);
  }
  const warnings = lines.filter((l) => l.includes(": warning: ")).length;
  return { lines, clusters, errors: lines.length - warnings, warnings };
}
