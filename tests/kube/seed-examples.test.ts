// Every configuration example users bring from MetalLB's docs (../shared/seeds) is accepted.
import { AppsV1Api, CoreV1Api, type KubernetesObject } from "@kubernetes/client-node";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { describeApiError } from "../../src/lab/kube/crds.js";
import { kubeConfigFor } from "./client.js";
import { createVerdict, type Manifest } from "./objects.js";

/** The API server's verdict on creating obj (dry run): undefined when accepted. */
async function verdict(obj: KubernetesObject): Promise<string | undefined> {
  const kc = kubeConfigFor("admin");
  const opts = { namespace: "default", dryRun: "All", fieldValidation: "Strict" } as const;
  try {
    if (obj.kind === "Service")
      await kc.makeApiClient(CoreV1Api).createNamespacedService({ ...opts, body: obj });
    else if (obj.kind === "Deployment")
      await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ ...opts, body: obj });
    else return await createVerdict(obj as Manifest);
    return undefined;
  } catch (err) {
    return describeApiError(err);
  }
}

const dir = join(import.meta.dirname, "../fixtures/seeds");
const docs = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => {
      const obj = d.toJS() as KubernetesObject;
      return [`${file}: ${obj.kind} ${obj.metadata?.name}`, obj] as const;
    }),
  );

describe("seed configuration examples", () => {
  it("are all here", () => expect(docs.length).toBeGreaterThanOrEqual(20));

  it.each(docs)("%s is accepted", async (_name, obj) => {
    expect(await verdict(obj)).toBeUndefined();
  });
});
