// `metallb-ts <command>`: the runtime's entry point. The controller and speaker commands arrive
// with their issues; what exists today is listed by `help`.
import { stringify } from "yaml";
import { KINDS } from "../api/kinds/index.js";
import { crdFor } from "../api/generate/crd.js";
import { parseArgs } from "node:util";
import { PooledKubeConfig as KubeConfig } from "./kube/pooled-kubeconfig.js";
import { isLogLevel, makeLogger } from "./log.js";
import { ServiceController } from "./controller/controller.js";
import { LeaderElector } from "./kube/leader-election.js";
import { hostname } from "node:os";
import { controllerMetrics } from "./metrics/controller-metrics.js";
import { SPEAKER_USAGE, speakerCommand } from "./speaker/command.js";
import { portFlag, serveOperations } from "./http/operations.js";
// Imported (not read at run time) so that the bundle in the images carries its own version.
import pkg from "../../package.json" with { type: "json" };

const USAGE = `usage: metallb-ts <command>

commands:
  controller assign LoadBalancer IPs from IPAddressPools
             --kubeconfig PATH   (default: in-cluster, then $KUBECONFIG)
             --namespace NS      where the configuration lives (default metallb-system)
             --lb-class NAME     serve only Services with this loadBalancerClass
             --log-level LEVEL   debug|info|warn|error (default info)
             --lease-duration S  leader Lease duration in seconds (default 15)
             --identity ID       leader election identity (default $POD_NAME or host-pid)
             --metrics-port N    Prometheus /metrics (default 7472; 0 turns it off)
             --health-port N     /healthz and /readyz (default 7473; 0 turns it off)
  validate [PATH]  check every overlay's override-values.yaml, kustomize and helm output
             (PATH: repository root, default ".", or overlays/<cluster>/services/metallb)
${SPEAKER_USAGE}  crds       print the metallb.io CustomResourceDefinitions (kubectl apply -f -)
  version    print the version
  help       print this text
`;

async function controller(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: "string" },
      namespace: { type: "string", default: "metallb-system" },
      "lb-class": { type: "string" },
      "log-level": { type: "string", default: "info" },
      "lease-duration": { type: "string", default: "15" },
      identity: { type: "string" },
      "metrics-port": { type: "string", default: "7472" },
      "health-port": { type: "string", default: "7473" },
    },
  });
  const leaseSeconds = Number(values["lease-duration"]);
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 1) {
    process.stderr.write(`metallb-ts controller: --lease-duration must be whole seconds >= 1\n`);
    return 2;
  }
  const metricsPort = portFlag("controller", "metrics-port", values["metrics-port"]);
  const healthPort = portFlag("controller", "health-port", values["health-port"]);
  if (metricsPort === undefined || healthPort === undefined) return 2;
  const level = values["log-level"];
  if (!isLogLevel(level)) {
    process.stderr.write(
      `metallb-ts controller: --log-level must be debug, info, warn or error, not "${level}"\n`,
    );
    return 2;
  }
  const log = makeLogger("controller", level);
  const kc = new KubeConfig();
  if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
  else kc.loadFromDefault();
  const metrics = controllerMetrics();
  const ctl = new ServiceController({
    kc,
    namespace: values.namespace,
    log,
    metrics,
    ...(values["lb-class"] ? { lbClass: values["lb-class"] } : {}),
  });
  const identity = values.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  const elector = new LeaderElector({
    kc,
    namespace: values.namespace,
    name: "metallb-ts-controller",
    identity,
    durationSeconds: leaseSeconds,
    log,
  });
  let lost = false;
  const stopSignal = new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  const servers = await serveOperations(log, metricsPort, healthPort, metrics.registry, {
    live: () => (lost ? "lost leadership; restarting" : undefined),
    // A standby is ready (it is healthy and waiting); a leader once its initial sync is done.
    ready: () => (elector.isLeading() && !ctl.isSynced() ? "initial sync in progress" : undefined),
  });
  if (!servers) return 1;
  log.info("controller starting; campaigning for leadership", {
    identity,
    namespace: values.namespace,
  });
  const campaign = elector.run(
    () => ctl.start(),
    () => {
      lost = true;
      process.kill(process.pid, "SIGTERM");
    },
  );
  await stopSignal;
  await elector.stop();
  await ctl.stop();
  await campaign;
  for (const s of servers) s.close();
  if (lost) {
    log.error("exiting after losing leadership");
    return 1;
  }
  log.info("controller stopped");
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  switch (command) {
    case "controller":
      return controller(rest);
    case "speaker":
      return speakerCommand(rest);
    case "validate":
      // Loaded on demand: the schema libraries it needs would slow every other command's start.
      return (await import("../gitops/validate/command.js")).validateCommand(rest);
    case "crds":
      process.stdout.write(KINDS.map((k) => stringify(crdFor(k), { lineWidth: 0 })).join("---\n"));
      return 0;
    case "version":
    case "--version":
      process.stdout.write(`metallb-ts ${pkg.version}\n`);
      return 0;
    case "help":
    case "--help":
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`metallb-ts: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}
