// helm lint / template / package / push of charts/metallb-ts. The provisioned helm
// (tools/provision.sh) is preferred; on a workstation without it, helm from PATH.
import { parseAllDocuments } from "yaml";
import { cachedTool } from "../../sys/tools.js";
import { CommandError, run } from "../../sys/proc.js";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

function helmBin(): string {
  try {
    return cachedTool("helm");
  } catch {
    return "helm";
  }
}

const missingFix = "run `npm run provision`, or install helm 3 on PATH";

export interface TemplateOptions {
  chartDir: string;
  release: string;
  namespace: string;
  valuesFiles: string[];
}

/** Every object helm renders, in order (comments and empty documents dropped). */
export async function helmTemplate(o: TemplateOptions): Promise<KubeObject[]> {
  const out = await run(
    [
      helmBin(),
      "template",
      o.release,
      o.chartDir,
      "--namespace",
      o.namespace,
      ...o.valuesFiles.flatMap((f) => ["--values", f]),
    ],
    { missingFix },
  );
  return parseManifests(out);
}

export async function helmLint(chartDir: string, valuesFiles: string[] = []): Promise<string> {
  return run(
    [helmBin(), "lint", "--strict", chartDir, ...valuesFiles.flatMap((f) => ["--values", f])],
    {
      missingFix,
    },
  );
}

export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((o): o is KubeObject => typeof o === "object" && o !== null && "kind" in o);
}

/** `helm package` with the given version; returns the archive's path. */
export async function helmPackage(
  chartDir: string,
  version: string,
  dest: string,
): Promise<string> {
  const out = await run(
    [helmBin(), "package", chartDir, "--version", version, "--destination", dest],
    { missingFix },
  );
  const path = /saved it to: (.+)$/m.exec(out)?.[1]?.trim();
  if (!path) throw new Error(`helm package printed no archive path: ${out.trim()}`);
  return path;
}

/** Registry access as Helm has it (credentials from `helm registry login`). */
export interface OciAccess {
  /** oci://host[:port]/path — the chart lands at <url>/<chart name>. */
  url: string;
  /** Plain HTTP (a registry without TLS). */
  plainHttp?: boolean;
}

const httpFlags = (a: OciAccess) => (a.plainHttp ? ["--plain-http"] : []);

/** `helm push`; returns the manifest digest the registry stored. */
export async function helmPush(archive: string, to: OciAccess): Promise<string> {
  // helm prints "Pushed:" and "Digest:" on stderr; run() keeps stdout only, so merge them.
  const out = await run(
    ["sh", "-c", '"$0" "$@" 2>&1', helmBin(), "push", archive, to.url, ...httpFlags(to)],
    {
      missingFix,
      timeoutMs: 5 * 60_000,
    },
  );
  const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
  if (!digest) throw new Error(`helm push printed no digest: ${out.trim()}`);
  return digest;
}

/** Whether `<url>/<chart>:<version>` exists in the registry (`helm show chart`). */
export async function helmChartPublished(
  chart: string,
  version: string,
  at: OciAccess,
): Promise<boolean> {
  try {
    await run([
      helmBin(),
      "show",
      "chart",
      `${at.url.replace(/\/+$/, "")}/${chart}`,
      "--version",
      version,
      ...httpFlags(at),
    ]);
    return true;
  } catch (err) {
    if (err instanceof CommandError && /not found|manifest unknown|NAME_UNKNOWN/i.test(err.stderr))
      return false;
    throw err;
  }
}
