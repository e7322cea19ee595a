// Installs the generated CRDs and waits until the API server serves them.
import {
  ApiextensionsV1Api,
  KubeConfig,
  loadYaml,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../sys/proc.js";

export function loadCrds(dir: string): V1CustomResourceDefinition[] {
  return (
    readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      // loadYaml maps x-kubernetes-* keys to the client's model; a plain parse would lose them.
      .map((f) => loadYaml<V1CustomResourceDefinition>(readFileSync(join(dir, f), "utf8")))
  );
}

export async function installCrds(kubeconfigPath: string, crdDir: string): Promise<string[]> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds = loadCrds(crdDir);
  for (const body of crds) {
    try {
      await api.createCustomResourceDefinition({ body });
    } catch (err) {
      const name = body.metadata?.name ?? "?";
      throw new Error(
        `the API server refused CRD ${name} from ${crdDir}: ${describeApiError(err)}`,
      );
    }
  }
  const names = crds.map((c) => c.metadata?.name ?? "");
  for (const name of names) {
    await waitFor(
      `CRD ${name} Established`,
      async () => {
        const crd = await api.readCustomResourceDefinition({ name });
        const ok = crd.status?.conditions?.some(
          (c) => c.type === "Established" && c.status === "True",
        );
        return ok ? true : undefined;
      },
      30_000,
    );
  }
  return names;
}

/** The API server's own message out of a client-node error. */
export function describeApiError(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body;
    }
  }
  if (body && typeof body === "object" && "message" in body) return String(body.message);
  return err instanceof Error ? err.message : String(err);
}
