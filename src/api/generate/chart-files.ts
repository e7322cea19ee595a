// Files of charts/metallb-ts and helm-values/ that come from TypeScript: the CRDs, the values
// (defaults and schemas), Chart.yaml's versions, the RBAC rules and the speaker Lease policy. Pure: path → content.
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { CONTROLLER_CLUSTER_RULES, CONTROLLER_NAMESPACE_RULES } from "../rbac/controller.js";
import { SPEAKER_CLUSTER_RULES, SPEAKER_NAMESPACE_RULES } from "../rbac/speaker.js";
import { SPEAKER_LEASE_POLICY_SPEC } from "../rbac/speaker-leases.js";
import { METRICS_READER_RULES } from "../rbac/metrics.js";
import { defaultValues } from "../values/defaults.js";
import { chartValuesSchema, overrideSchema } from "../values/override.js";

export const CHART_DIR = "charts/metallb-ts";
const FRR_AGENT_FILES = ["agent.py", "start.sh"];
export const CHART_CRD_DIR = `${CHART_DIR}/crds`;
export const OVERRIDE_SCHEMA_PATH = "helm-values/override-values.schema.json";

const YAML_HEADER = "# Generated from src/api by `npm run generate`. Do not edit.\n";
const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";
const yaml = (value: unknown) =>
  YAML_HEADER + stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });

/** Chart.yaml; render.ts gives it the chart version with the content digest. */
export function chartYaml(chartVersion: string, appVersion: string): string {
  return yaml({
    apiVersion: "v2",
    name: "metallb-ts",
    description:
      "Bare-metal LoadBalancer for Kubernetes (controller + speaker, L2 and BGP), configuration-compatible with MetalLB.",
    type: "application",
    version: chartVersion,
    appVersion,
    keywords: ["loadbalancer", "bgp", "arp", "ndp", "metallb", "bare-metal"],
  });
}

export function chartFiles(version: string): Map<string, string> {
  return new Map([
    [`${CHART_DIR}/values.yaml`, yaml(defaultValues(version))],
    [`${CHART_DIR}/values.schema.json`, json(chartValuesSchema())],
    [
      `${CHART_DIR}/files/rbac.yaml`,
      yaml({
        controller: { cluster: CONTROLLER_CLUSTER_RULES, namespace: CONTROLLER_NAMESPACE_RULES },
        speaker: { cluster: SPEAKER_CLUSTER_RULES, namespace: SPEAKER_NAMESPACE_RULES },
        metricsReader: METRICS_READER_RULES,
      }),
    ],
    [`${CHART_DIR}/files/speaker-lease-policy.yaml`, yaml(SPEAKER_LEASE_POLICY_SPEC)],
    [OVERRIDE_SCHEMA_PATH, json(overrideSchema())],
    // The FRR sidecar's agent and entrypoint, mounted from a ConfigMap (speaker.frr.enabled).
    ...FRR_AGENT_FILES.map(
      (f) =>
        [
          `${CHART_DIR}/files/frr-agent/${f}`,
          readFileSync(new URL(`../../runtime/frr-agent/${f}`, import.meta.url), "utf8"),
        ] as [string, string],
    ),
  ]);
}
