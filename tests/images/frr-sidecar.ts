// The FRR container exactly as the chart renders it (hardened values, speaker.frr.enabled): its
// command, its volume mounts — the ConfigMap's files written out, each emptyDir a fresh
// directory per node — and its capabilities, for the lab to run from the FRR image's root.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { KubeObject } from "../../src/gitops/tools/helm.js";
import type { FrrContainer } from "../../src/lab/net/frr-node.js";
import type { Volume } from "../../src/lab/rootfs-container.js";
import { render } from "../kube/chart-helpers.js";

interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface ContainerSpec {
  name: string;
  command?: string[];
  args?: string[];
  volumeMounts?: Mount[];
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
  };
}
interface PodVolume {
  name: string;
  configMap?: { name: string; defaultMode?: number };
  emptyDir?: object;
}

/** FRR's compiled-in state directory (Debian's runstatedir): where the vty sockets are. */
const VTY_DIR = "/run/frr";

export async function frrSidecarFromChart(
  scratch: string,
  image: { root: string; env: string[] },
): Promise<(host: string) => FrrContainer> {
  const values = join(scratch, "frr-values.yaml");
  writeFileSync(values, "speaker:\n  frr:\n    enabled: true\n");
  const objects = await render("metallb-system", [values]);
  const ds = objects.find((o) => o.kind === "DaemonSet");
  const pod = (
    ds?.spec as { template: { spec: { containers: ContainerSpec[]; volumes: PodVolume[] } } }
  ).template.spec;
  const frr = pod.containers.find((c) => c.name === "frr");
  const speaker = pod.containers.find((c) => c.name === "speaker");
  if (!frr || !speaker) throw new Error("the rendered DaemonSet has no frr or speaker container");
  const sc = frr.securityContext;
  if (!sc?.readOnlyRootFilesystem || !sc.capabilities?.drop?.includes("ALL")) {
    // The lab always runs the root read-only and drops the rest: a chart that does not would
    // be tested as something it is not.
    throw new Error("the chart's FRR container is not read-only with ALL dropped");
  }
  const socketArg = speaker.args?.find((a) => a.startsWith("--frr-agent-socket="));
  if (!socketArg) throw new Error("the speaker container has no --frr-agent-socket");
  const socketInPod = socketArg.slice("--frr-agent-socket=".length);
  const configMaps = new Map(
    objects
      .filter((o): o is KubeObject & { data: Record<string, string> } => o.kind === "ConfigMap")
      .map((o) => [o.metadata.name, o.data]),
  );
  const volumes = new Map(pod.volumes.map((v) => [v.name, v]));
  return (host) => {
    const dir = join(scratch, host);
    const sources = new Map<string, string>();
    const source = (v: PodVolume): string => {
      const known = sources.get(v.name);
      if (known) return known;
      const path = join(dir, v.name);
      mkdirSync(path, { recursive: true });
      if (v.configMap) {
        const data = configMaps.get(v.configMap.name);
        if (!data) throw new Error(`the chart renders no ConfigMap ${v.configMap.name}`);
        for (const [file, text] of Object.entries(data)) {
          writeFileSync(join(path, file), text);
          chmodSync(join(path, file), v.configMap.defaultMode ?? 0o644);
        }
      } else if (!v.emptyDir) {
        throw new Error(`volume ${v.name}: only ConfigMaps and emptyDirs are modelled here`);
      }
      sources.set(v.name, path);
      return path;
    };
    const mounts: Volume[] = (frr.volumeMounts ?? []).map((m) => {
      const v = volumes.get(m.name);
      if (!v) throw new Error(`the FRR container mounts ${m.name}, which the Pod does not have`);
      return { source: source(v), at: m.mountPath, readOnly: m.readOnly ?? false };
    });
    const hostPathOf = (inPod: string): string => {
      const m = mounts.find((v) => v.at === inPod);
      if (!m) throw new Error(`the FRR container mounts nothing at ${inPod}`);
      return m.source;
    };
    return {
      root: image.root,
      env: image.env,
      argv: [...(frr.command ?? []), ...(frr.args ?? [])],
      volumes: mounts,
      capabilities: (sc.capabilities?.add ?? []).map((c) => `CAP_${c}`),
      agentSocket: join(hostPathOf(dirname(socketInPod)), basename(socketInPod)),
      vtyDir: hostPathOf(VTY_DIR),
    };
  };
}
