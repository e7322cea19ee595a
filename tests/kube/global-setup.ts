// Starts etcd + kube-apiserver once for the kube suite, installs the generated CRDs and the
// runtime namespace, and hands the kubeconfig paths to the tests. Stops everything by PID after.
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startKube, type KubeEnv } from "../../src/lab/kube/cluster.js";
import { labRuntime } from "../../src/lab/app-bundle.js";
import { installCrds } from "../../src/lab/kube/crds.js";
import { RUNTIME_NAMESPACE } from "../../src/lab/kube/identities.js";

declare module "vitest" {
  export interface ProvidedContext {
    kube: { server: string; kubeconfigs: KubeEnv["kubeconfigs"]; crds: string[] };
    /** The command line that runs the controller as its image does (the bundle, plain node). */
    controllerCommand: string[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  project.provide("controllerCommand", await labRuntime("controller"));
  const env = await startKube();
  try {
    const crds = await installCrds(
      env.kubeconfigs.admin,
      join(import.meta.dirname, "../../config/crd"),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfigs.admin);
    await kc
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: RUNTIME_NAMESPACE } } });
    project.provide("kube", { server: env.server, kubeconfigs: env.kubeconfigs, crds });
  } catch (err) {
    await env.stop();
    throw err;
  }
  return () => env.stop();
}
