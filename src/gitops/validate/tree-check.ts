// `metallb-ts validate [path]`: for every overlay under the path, the override file's schema and
// semantic checks, the cluster's Flux objects and `flux build kustomization` of each of them, and
// `helm template` of the chart with the base and override values, every object checked against
// its kind's schema. Returns output lines; nothing is written.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, normalize, relative, resolve } from "node:path";
import { parse } from "yaml";
import type { Values } from "../../api/values/schema.js";
import { helmTemplate, type KubeObject } from "../tools/helm.js";
import { FluxMissingError, fluxBuild, fluxScratch } from "../tools/flux.js";
import { fluxUnits, kustomizeBuild } from "../tools/kustomize.js";
import { CommandError } from "../../sys/proc.js";
import {
  BASE_DIR,
  GITOPS_SOURCE,
  NAMESPACE,
  OVERRIDE_SECRET,
  RELEASE,
  fluxDir,
  overlayDir,
} from "../synth/tree.js";
import { parseClusters, type ClustersFile } from "../synth/clusters.js";
import { mergeValues } from "./merge.js";
import { objectProblems } from "./objects.js";
import { checkOverride, reportFindings } from "./override-check.js";
import { error, finding, formatFinding, warning, type Finding, type Problem } from "./problem.js";
import { parseYamlSource } from "./yaml-source.js";
import { mapBounded } from "../../lib/bounded.js";

export interface ValidateResult {
  findings: Finding[];
  /** The findings as `file:line:yaml.path: problem — fix`. */
  lines: string[];
  clusters: string[];
  errors: number;
  warnings: number;
}

const CHART = "charts/metallb-ts";
const HARDENED = `${BASE_DIR}/helm-values/hardened-values.yaml`;

/** The repository root and the clusters to check for a path given on the command line. */
export function locate(path: string): { root: string; clusters: string[]; whole: boolean } {
  const abs = resolve(path);
  if (!existsSync(abs))
    throw new Error(`${path} does not exist — give the repository root or an overlay directory`);
  const dir = statSync(abs).isDirectory() ? abs : dirname(abs);
  if (existsSync(join(dir, "overlays"))) {
    const clusters = readdirSync(join(dir, "overlays"))
      .filter((c) => existsSync(join(dir, overlayDir(c), "override-values.yaml")))
      .sort();
    return { root: dir, clusters, whole: true };
  }
  if (existsSync(join(dir, "override-values.yaml"))) {
    // overlays/<cluster>/services/metallb
    const root = resolve(dir, "../../../..");
    return { root, clusters: [basename(resolve(dir, "../.."))], whole: false };
  }
  throw new Error(
    `${path} holds neither overlays/ nor override-values.yaml — run validate at the repository root or on overlays/<cluster>/services/metallb`,
  );
}

const readYaml = (file: string): unknown => parse(readFileSync(file, "utf8")) as unknown;

/** Lines for a tool's output: its failure, or every object's schema problems. */
async function built(
  file: string,
  build: () => Promise<KubeObject[]>,
  more: (objects: KubeObject[]) => Problem[] = () => [],
): Promise<Finding[]> {
  let objects: KubeObject[];
  try {
    objects = await build();
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    const [program = "", ...args] = err.command;
    const what = err.missingFix
      ? err.message
      : `${[basename(program), ...args].join(" ")} failed: ${err.stderr.trim()}`;
    return [finding(file, undefined, error([], what, "fix the file the tool names"))];
  }
  const problems = objects.flatMap((o) =>
    objectProblems(o).map((p) => ({
      ...p,
      path: [`${o.kind}/${o.metadata?.name ?? "?"}`, ...p.path],
    })),
  );
  return [...more(objects), ...problems].map((p) => finding(file, undefined, p));
}

/** The generated Secret's name: the fixed name plus kustomize's content-hash suffix. */
const isOverrideSecret = (o: KubeObject) =>
  o.kind === "Secret" && new RegExp(`^${OVERRIDE_SECRET}(-[a-z0-9]{10})?$`).test(o.metadata.name);

const overrideSecretMissing = (objects: KubeObject[]): Problem[] =>
  objects.some(isOverrideSecret)
    ? []
    : [
        error(
          [],
          `builds no Secret ${OVERRIDE_SECRET}, so the HelmRelease never sees the override`,
          "run `npm run synth` to restore the generated kustomization.yaml",
        ),
      ];

interface FluxKustomizationSpec {
  path?: string;
  sourceRef?: { kind?: string; name?: string };
}

const FLUX_MISSING_FIX =
  "install the flux CLI (`npm run provision` builds one), so that validate builds each " +
  "Kustomization as kustomize-controller does";

/** The file to name for what Flux builds from a path: its kustomization file, or the path. */
function pathFile(root: string, path: string): string {
  const own = ["kustomization.yaml", "kustomization.yml", "Kustomization"].find((f) =>
    existsSync(join(root, path, f)),
  );
  return own ? join(path, own) : path;
}

/**
 * Builds shared by the clusters of one run: every cluster's policies Kustomization builds the
 * same path alike, and a build depends only on the path and the Kustomization object.
 */
type BuildMemo = Map<string, Promise<KubeObject[]>>;

function memo(m: BuildMemo, key: string, build: () => Promise<KubeObject[]>) {
  let p = m.get(key);
  if (!p) m.set(key, (p = build()));
  return p;
}

interface FluxCheck {
  findings: Finding[];
  /** Whether the overlay was built as its Flux Kustomization builds it. */
  overlayBuilt: boolean;
}

/**
 * The cluster's Flux objects as Flux builds flux-system/<cluster>, and what each of their
 * Kustomizations on this repository will apply: `flux build kustomization` (the object's patches,
 * substitutions, targetNamespace and so on applied), or, without the flux CLI, kustomize's build
 * of the path and a warning that says so.
 */
async function checkFluxObjects(
  root: string,
  cluster: string,
  overlay: string,
  builds: BuildMemo,
): Promise<FluxCheck> {
  const dir = fluxDir(cluster);
  if (!existsSync(join(root, dir))) return { findings: [], overlayBuilt: false };
  const objects: KubeObject[] = [];
  const lines: Finding[] = [];
  const buildAll = async (path: string) => {
    for (const unit of fluxUnits(join(root, path)))
      lines.push(
        ...(await built(relative(root, unit.file), async () => {
          const built = await memo(builds, `kustomize\0${unit.file}`, () => unit.build());
          if (path === dir) objects.push(...built);
          return built;
        })),
      );
  };
  await buildAll(dir);
  let fluxMissing = false;
  let overlayBuilt = false;
  let scratch: ReturnType<typeof fluxScratch> | undefined;
  try {
    for (const o of objects) {
      if (o.kind !== "Kustomization" || !o.apiVersion.startsWith("kustomize.toolkit.fluxcd.io/"))
        continue;
      const spec = (o as { spec?: FluxKustomizationSpec }).spec;
      if (spec?.sourceRef?.kind !== "GitRepository" || spec.sourceRef.name !== GITOPS_SOURCE)
        continue;
      const path = normalize(spec.path ?? ".");
      if (path.startsWith("..") || !existsSync(join(root, path))) {
        lines.push(
          finding(
            dir,
            undefined,
            error(
              [`Kustomization/${o.metadata.name}`, "spec", "path"],
              `${spec.path} does not exist in the repository, so Flux cannot build it`,
              "run `npm run synth` to restore the generated Flux objects",
            ),
          ),
        );
        continue;
      }
      // The path as written (kustomize) names what is wrong with the files themselves; Flux's build
      // adds what its Kustomization changes (and an object Flux would drop silently, such as one
      // whose name is not a string, is still reported from the files).
      if (path !== overlay) await buildAll(path);
      if (fluxMissing) continue;
      try {
        lines.push(
          ...(await built(
            pathFile(root, path),
            () =>
              memo(builds, `flux\0${path}\0${JSON.stringify(o)}`, () =>
                fluxBuild(o, join((scratch ??= fluxScratch(root)).dir, path)),
              ),
            path === overlay ? overrideSecretMissing : undefined,
          )),
        );
        if (path === overlay) overlayBuilt = true;
      } catch (err) {
        if (!(err instanceof FluxMissingError)) throw err;
        fluxMissing = true;
        lines.push(
          finding(
            dir,
            undefined,
            warning(
              [],
              "the flux CLI is not installed: each Kustomization's path is built with kustomize " +
                "alone, without the Kustomization's patches, substitutions or targetNamespace",
              FLUX_MISSING_FIX,
            ),
          ),
        );
      }
    }
  } finally {
    scratch?.dispose();
  }
  // Flux's build and the plain one mostly agree: each finding once.
  const seen = new Set<string>();
  const unique = lines.filter((f) => {
    const key = formatFinding(f);
    return !seen.has(key) && !!seen.add(key);
  });
  return { findings: unique, overlayBuilt };
}

async function checkCluster(
  root: string,
  cluster: string,
  base: Values,
  builds: BuildMemo,
): Promise<Finding[]> {
  const overlay = overlayDir(cluster);
  const overrideFile = `${overlay}/override-values.yaml`;
  const report = checkOverride(readFileSync(join(root, overrideFile), "utf8"), base, NAMESPACE);
  const renders = report.merged && !report.problems.some((p) => p.severity === "error");
  // The tools are independent: run them side by side. The overlay is built on its own only when
  // no Flux Kustomization built it.
  const flux = checkFluxObjects(root, cluster, overlay, builds);
  const outputs = await Promise.all([
    flux.then((f) =>
      f.overlayBuilt
        ? []
        : built(
            `${overlay}/kustomization.yaml`,
            () => kustomizeBuild(join(root, overlay)),
            overrideSecretMissing,
          ),
    ),
    flux.then((f) => f.findings),
    renders
      ? built(`${CHART} (${cluster})`, () =>
          helmTemplate({
            chartDir: join(root, CHART),
            release: RELEASE,
            namespace: NAMESPACE,
            valuesFiles: [join(root, HARDENED), join(root, overrideFile)],
          }),
        )
      : [],
  ]);
  return [...reportFindings(overrideFile, report), ...outputs.flat()];
}

/**
 * Clusters clusters.yaml declares whose override file is missing (renamed, deleted, never
 * generated): their overlay does not build, so Flux stops applying it, and the overlay scan above
 * cannot see them.
 */
export function declaredButMissing(root: string, found: readonly string[]): Finding[] {
  const file = "clusters.yaml";
  if (!existsSync(join(root, file))) return [];
  const text = readFileSync(join(root, file), "utf8");
  let declared: ClustersFile;
  try {
    declared = parseClusters(text, file);
  } catch (err) {
    return [
      finding(
        file,
        undefined,
        error(
          [],
          `cannot be read: ${(err as Error).message.split("\n")[0] ?? ""}`,
          "fix it as the message says, then run `npm run synth`",
        ),
      ),
    ];
  }
  const source = parseYamlSource(text);
  return declared.clusters.flatMap((c, i) => {
    if (found.includes(c.name)) return [];
    const override = `${overlayDir(c.name)}/override-values.yaml`;
    return [
      finding(
        file,
        source.lineOf(["clusters", i, "name"]),
        error(
          ["clusters", i, "name"],
          `cluster "${c.name}" has no ${override}: its overlay does not build, so Flux stops applying it`,
          `restore the file (\`git log --diff-filter=DR -- ${override}\` names the commit that removed ` +
            "or renamed it), or remove the cluster here and run `npm run synth`",
        ),
      ),
    ];
  });
}

export async function validateTree(path: string, concurrency = 2): Promise<ValidateResult> {
  const { root, clusters, whole } = locate(path);
  const lines: Finding[] = [];
  for (const need of [`${CHART}/values.yaml`, HARDENED])
    if (!existsSync(join(root, need)))
      lines.push(
        finding(
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
      finding(
        relative(process.cwd(), root) || ".",
        undefined,
        error(
          ["overlays"],
          "no overlays/<cluster>/services/metallb/override-values.yaml found",
          "declare clusters in clusters.yaml and run `npm run synth`",
        ),
      ),
    );
  const checkable = !lines.length;
  if (whole) lines.push(...declaredButMissing(root, clusters));
  if (checkable) {
    const defaults = readYaml(join(root, CHART, "values.yaml")) as Values;
    const hardenedReport = checkOverride(
      readFileSync(join(root, HARDENED), "utf8"),
      defaults,
      NAMESPACE,
    );
    lines.push(...reportFindings(HARDENED, hardenedReport));
    const base = mergeValues(defaults, readYaml(join(root, HARDENED))) as Values;
    const builds: BuildMemo = new Map();
    lines.push(
      ...(await built(`${BASE_DIR}/kustomization.yaml`, () =>
        kustomizeBuild(join(root, BASE_DIR)),
      )),
    );
    for (const clusterLines of await mapBounded(clusters, concurrency, (c) =>
      checkCluster(root, c, base, builds),
    ))
      lines.push(...clusterLines);
  }
  const warnings = lines.filter((f) => f.problem.severity === "warning").length;
  return {
    findings: lines,
    lines: lines.map(formatFinding),
    clusters,
    errors: lines.length - warnings,
    warnings,
  };
}
