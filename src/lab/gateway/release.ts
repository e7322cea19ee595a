// What the release and the policies Kustomization put in a cluster for the Gateway tests: the
// chart rendered from values as Flux renders it (hardened base values, then the cluster's), of
// which the metallb.io objects and the policy params are applied, then policies/ as it is in the
// repository — all server-side, as kustomize-controller applies.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { helmTemplate } from "../../gitops/tools/helm.js";
import { run } from "../../sys/proc.js";

const ROOT = new URL("../../../", import.meta.url).pathname;

export interface GatewayRelease {
  /** The pool's addresses (one pool, "lan", announced by one L2Advertisement). */
  pool: string[];
  /** Gateway infra/public's reserved addresses, carved out of "lan". */
  reserved: string[];
}

export async function applyGatewayRelease(
  kubeconfig: string,
  namespace: string,
  r: GatewayRelease,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "metallb-ts-release-"));
  try {
    const values = join(dir, "values.yaml");
    writeFileSync(
      values,
      stringify({
        config: {
          ipAddressPools: [{ name: "lan", spec: { addresses: r.pool } }],
          l2Advertisements: [{ name: "lan", spec: { ipAddressPools: ["lan"] } }],
        },
        gateways: [{ name: "public", namespace: "infra", addresses: r.reserved, pool: "lan" }],
      }),
    );
    const objects = (
      await helmTemplate({
        chartDir: join(ROOT, "charts/metallb-ts"),
        release: "metallb-ts",
        namespace,
        valuesFiles: [join(ROOT, "base/services/metallb/helm-values/hardened-values.yaml"), values],
      })
    ).filter((o) => o.kind === "ConfigMap" || o.apiVersion.startsWith("metallb.io/"));
    const kubectl = ["kubectl", "--kubeconfig", kubeconfig, "apply", "--server-side"];
    await run([...kubectl, "-f", "-"], { input: objects.map((o) => JSON.stringify(o)).join("\n") });
    await run([...kubectl, "-k", join(ROOT, "policies")]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
