// What both runtime commands start from: their flags checked, a logger, and a client
// configuration (the flag's kubeconfig, else in-cluster, else $KUBECONFIG).
import { parseFlags, str, type CommandSpec, type FlagValues } from "./flags.js";
import { PooledKubeConfig } from "./kube/pooled-kubeconfig.js";
import { makeLogger, type LogLevel, type Logger } from "./log.js";

export interface CommandContext {
  values: FlagValues;
  namespace: string;
  lbClass?: string;
  log: Logger;
  kc: PooledKubeConfig;
}

/** The context, or the exit code when the flags asked for help or were refused. */
export function commandContext(
  spec: CommandSpec,
  args: string[],
  out: (text: string) => void,
  err: (text: string) => void,
): CommandContext | number {
  const parsed = parseFlags(spec, args, out, err);
  if (!parsed.ok) return parsed.exitCode;
  const v = parsed.values;
  const kc = new PooledKubeConfig();
  const kubeconfig = str(v, "kubeconfig");
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  const lbClass = str(v, "lb-class");
  return {
    values: v,
    namespace: str(v, "namespace") ?? "metallb-system",
    ...(lbClass ? { lbClass } : {}),
    log: makeLogger(spec.name, str(v, "log-level") as LogLevel),
    kc,
  };
}
