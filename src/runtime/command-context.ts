// What both runtime commands start from: their flags checked, a logger, and a client
// configuration (the flag's kubeconfig, else in-cluster, else $KUBECONFIG).
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseFlags, str, type CommandSpec, type FlagValues } from "./flags.js";
import { kubeReviews, MetricsAuthenticator } from "./http/metrics-auth.js";
import type { MetricsSecurity } from "./http/operations.js";
import { selfSigned } from "./http/self-signed.js";
import { PooledKubeConfig } from "./kube/pooled-kubeconfig.js";
import { makeLogger, type LogLevel, type Logger } from "./log.js";

export interface CommandContext {
  values: FlagValues;
  namespace: string;
  lbClass?: string;
  log: Logger;
  kc: PooledKubeConfig;
  /** How /metrics is protected; undefined with --metrics-insecure. */
  metricsSecurity?: MetricsSecurity;
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
  const log = makeLogger(spec.name, str(v, "log-level") as LogLevel);
  let metricsSecurity: MetricsSecurity | undefined;
  if (v["metrics-insecure"] !== true) {
    const certFile = str(v, "metrics-tls-cert-file");
    const keyFile = str(v, "metrics-tls-key-file");
    if (!certFile !== !keyFile) {
      err("--metrics-tls-cert-file and --metrics-tls-key-file go together: give both or neither\n");
      return 2;
    }
    let tls: { cert: string; key: string };
    try {
      tls =
        certFile && keyFile
          ? { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") }
          : selfSigned(certificateNames());
    } catch (e) {
      err(`cannot read the metrics certificate: ${(e as Error).message}\n`);
      return 2;
    }
    metricsSecurity = { auth: new MetricsAuthenticator(kubeReviews(kc), log), tls };
  }
  return {
    values: v,
    namespace: str(v, "namespace") ?? "metallb-system",
    ...(lbClass ? { lbClass } : {}),
    log,
    kc,
    ...(metricsSecurity ? { metricsSecurity } : {}),
  };
}

/** What a self-signed metrics certificate names: the host, and the Pod's or node's address. */
function certificateNames(): string[] {
  const names = [hostname(), process.env.POD_IP, process.env.HOST_IP, "localhost"];
  return [...new Set(names.filter((n): n is string => !!n))];
}
