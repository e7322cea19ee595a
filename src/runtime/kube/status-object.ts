// Writes the status of a metallb.io object that exists only to carry a status (ServiceL2Status,
// ServiceBGPStatus, ConfigurationState): created empty when missing, then its status merged in.
import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from "@kubernetes/client-node";

const GROUP = "metallb.io";
const VERSION = "v1beta1";
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export interface StatusTarget {
  namespace: string;
  plural: string;
  kind: string;
  name: string;
  labels?: Record<string, string>;
}

/**
 * `create` false skips the create for an object this process knows exists (one request instead
 * of two); a create that finds the object already there (409) is not an error.
 */
export async function writeStatusObject(
  custom: CustomObjectsApi,
  t: StatusTarget,
  status: object,
  create = true,
): Promise<void> {
  const target = { group: GROUP, version: VERSION, namespace: t.namespace, plural: t.plural };
  if (create)
    await custom
      .createNamespacedCustomObject({
        ...target,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: t.kind,
          metadata: { name: t.name, ...(t.labels ? { labels: t.labels } : {}) },
          spec: {},
        },
      })
      .catch((err: unknown) => {
        if ((err as { code?: number }).code !== 409) throw err;
      });
  await custom.patchNamespacedCustomObjectStatus(
    { ...target, name: t.name, body: { status } },
    mergePatch,
  );
}
