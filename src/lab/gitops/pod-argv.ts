// How a kubelet would start one container of a Pod, as a process (pure): its environment from
// `value` and `fieldRef`, `$(VAR)` in its args expanded by Kubernetes' rules, and the paths under
// its Secret volume mounts moved to where the lab wrote those Secrets. The lab runs the chart's
// controller and speakers with exactly what the chart rendered, plus a kubeconfig.
import type { V1Container, V1Pod } from "@kubernetes/client-node";

export interface ContainerProcess {
  /** What the image's entrypoint receives: the container's command and args. */
  argv: string[];
  env: Record<string, string>;
  /** Secret volumes the container mounts: Secret name → mount path. */
  secretMounts: { secret: string; mountPath: string }[];
}

function fieldValue(pod: V1Pod, path: string): string {
  const values: Record<string, string | undefined> = {
    "metadata.name": pod.metadata?.name,
    "metadata.namespace": pod.metadata?.namespace,
    "metadata.uid": pod.metadata?.uid,
    "spec.nodeName": pod.spec?.nodeName,
    "spec.serviceAccountName": pod.spec?.serviceAccountName,
    "status.hostIP": pod.status?.hostIP,
    "status.podIP": pod.status?.podIP,
  };
  const v = values[path];
  if (v === undefined)
    throw new Error(
      `Pod ${pod.metadata?.name}: fieldRef ${path} is not known to the lab or not set yet — add it to src/lab/gitops/pod-argv.ts`,
    );
  return v;
}

/**
 * `$(NAME)` becomes the variable's value when it is defined and stays as written otherwise;
 * `$$` is a literal `$` (so `$$(NAME)` is the text `$(NAME)`).
 */
export function expandVars(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name?: string) => {
    if (match === "$$") return "$";
    return name !== undefined && Object.hasOwn(env, name) ? env[name]! : match;
  });
}

export function containerProcess(pod: V1Pod, container: V1Container): ContainerProcess {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = expandVars(e.value, env);
    else if (e.valueFrom?.fieldRef) env[e.name] = fieldValue(pod, e.valueFrom.fieldRef.fieldPath);
    else
      throw new Error(
        `Pod ${pod.metadata?.name}, container ${container.name}: env ${e.name} takes its value from a source the lab does not provide`,
      );
  }
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const secretMounts = (container.volumeMounts ?? []).flatMap((m) => {
    const secret = volumes.get(m.name)?.secret?.secretName;
    return secret ? [{ secret, mountPath: m.mountPath }] : [];
  });
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a) =>
    expandVars(a, env),
  );
  return { argv, env, secretMounts };
}

/** Rewrites every path under a mount (`/mount/x`, `--flag=/mount/x`) to the lab's copy. */
export function relocate(argv: string[], dirs: { mountPath: string; dir: string }[]): string[] {
  return argv.map((arg) => {
    for (const { mountPath, dir } of dirs) {
      const prefix = mountPath.replace(/\/$/, "");
      const at = arg.indexOf(prefix);
      if (at < 0 || (at > 0 && arg[at - 1] !== "=")) continue;
      const rest = arg.slice(at + prefix.length);
      if (rest === "" || rest.startsWith("/")) return `${arg.slice(0, at)}${dir}${rest}`;
    }
    return arg;
  });
}
