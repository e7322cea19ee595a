// clusters.yaml: where the clusters of the GitOps tree are declared, with the Git repository
// Flux syncs from and where the chart comes from. Typed and schema-checked like the values.
import { Type, type Static } from "@sinclair/typebox";
import { makeAjv } from "../validate/ajv.js";
import { formatProblem } from "../validate/problem.js";
import { schemaProblems } from "../validate/schema-check.js";
import { parseYamlSource } from "../validate/yaml-source.js";

const Url = (description: string) => Type.String({ minLength: 1, maxLength: 2048, description });

export const ClustersFile = Type.Object(
  {
    repository: Type.Object(
      {
        url: Url("The GitOps repository (this one) as Flux clones it."),
        branch: Type.String({ minLength: 1, maxLength: 255 }),
      },
      { additionalProperties: false },
    ),
    chart: Type.Union(
      [
        Type.Object(
          { source: Type.Literal("git") },
          { additionalProperties: false, description: "charts/metallb-ts from the repository." },
        ),
        Type.Object(
          {
            source: Type.Literal("oci"),
            url: Type.String({ pattern: "^oci://", description: "oci://registry/path" }),
            version: Type.String({ minLength: 1, description: "Chart version (semver range)." }),
            secretRef: Type.Optional(
              Type.String({
                pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                maxLength: 253,
                description:
                  "A kubernetes.io/dockerconfigjson Secret in metallb-system with the registry's pull credentials.",
              }),
            ),
            insecure: Type.Optional(
              Type.Boolean({
                description:
                  "Plain HTTP to the registry (a lab or air-gapped registry without TLS); never across a network you do not trust.",
              }),
            ),
          },
          { additionalProperties: false, description: "A published chart." },
        ),
      ],
      { description: "Where the HelmRelease gets charts/metallb-ts." },
    ),
    clusters: Type.Array(
      Type.Object(
        {
          name: Type.String({
            pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            maxLength: 40,
            description: "Directory name under overlays/ and flux-system/.",
          }),
          description: Type.Optional(Type.String({ maxLength: 200 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 500 },
    ),
  },
  {
    additionalProperties: false,
    $id: "https://metallb-ts.dev/schema/clusters.json",
    title: "metallb-ts clusters",
  },
);

export type ClustersFile = Static<typeof ClustersFile>;

/** The declarations, or an error naming every problem as `file:line:path: problem — fix`. */
export function parseClusters(text: string, file = "clusters.yaml"): ClustersFile {
  const source = parseYamlSource(text);
  const lines = source.syntaxErrors.map(
    (e) => `${file}:${e.line}: YAML syntax error: ${e.message}`,
  );
  if (!lines.length) {
    const problems = schemaProblems(makeAjv({ verbose: true }).compile(ClustersFile), source.value);
    lines.push(...problems.map((p) => formatProblem(file, source.lineOf(p.path), p)));
    const names = (source.value as ClustersFile).clusters;
    names?.forEach((c, i) => {
      if (names.findIndex((d) => d.name === c.name) !== i)
        lines.push(
          `${file}:${source.lineOf(["clusters", i]) ?? 0}:clusters[${i}].name: "${c.name}" is declared twice — give each cluster its own name`,
        );
    });
  }
  if (lines.length) throw new Error(lines.join("\n"));
  return source.value as ClustersFile;
}
