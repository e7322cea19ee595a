// helm lint / helm template of charts/metallb-ts. The provisioned helm (tools/provision.sh) is
// preferred; on a workstation without it, helm from PATH.
import { parseAllDocuments } from "yaml";
import { cachedTool } from "../../sys/tools.js";
import { run } from "../../sys/proc.js";

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
