// `npm start`: the embedded lab on the GitOps loop. Brings up a control plane with Flux and a
// local Git host, three nodes, an FRR router and a client; Flux installs the chart and the lab
// cluster's configuration; the controller and a speaker per node run with the args the chart
// rendered. It creates demo Services, checks that they work on the wire, prints how to change
// the configuration through Git and how to look at it, and removes everything on Ctrl-C.
// `npm start -- --check` (or METALLB_TS_LAB_CHECK=1) tears down after the check and exits 0,
// or non-zero naming what failed.
import { Cleanup } from "../../sys/cleanup.js";
import { preflightMessage, preflightProblems } from "./preflight.js";
import { DEFAULT_PORTS } from "../../api/ports.js";
import { overridePath } from "../../gitops/synth/tree.js";
import { CLIENT, LAB_CLUSTER, NODES, ROUTER } from "./layout.js";
import { BIN, startStack, type LabStack } from "./stack.js";
import { formatSummary } from "./summary.js";
import { applyDemo, verifyDemo, verifyPush, verifyRollout, verifyStatus } from "./verify.js";

const USAGE = "usage: npm start [-- --check]\n";

const say = (line: string) => process.stdout.write(`[lab] ${line}\n`);

const TAIL_LINES = 12;
const IN_FLIGHT_GRACE_MS = 15_000;

function logTails(stack: LabStack): string {
  return [...stack.controllers.running.values(), ...stack.speakers.running.values()]
    .map(({ proc: p }) => {
      const tail = p.log().trimEnd().split("\n").slice(-TAIL_LINES).join("\n");
      return `--- last lines of ${p.name} (${p.logFile})\n${tail}`;
    })
    .join("\n");
}

async function bringUp(cleanup: Cleanup, check: boolean): Promise<string> {
  const started = Date.now();
  let upSeconds = 0;
  const stack = await startStack(cleanup, say);
  say("creating the demo Services (namespace demo)");
  const { outcomes, push } = await applyDemo(stack.admin)
    .then(() => {
      say("waiting for addresses, L2 answers on the client and BGP routes in the router");
      return verifyDemo(stack);
    })
    .then(async (outcomes) => {
      upSeconds = Math.round((Date.now() - started) / 1000);
      if (!check) return { outcomes };
      say("check: `metallb-ts status` against the lab");
      const statusNodes = await verifyStatus(stack, BIN);
      say("check: pushing an address range for pool lan to the lab's Git host");
      const push = await verifyPush(stack);
      say("check: pushing controller.logLevel: debug, which rolls the controller Deployment");
      return { outcomes, push: { ...push, rollout: await verifyRollout(stack), statusNodes } };
    })
    .catch((err: Error) => {
      // Teardown removes the logs: what the runtime said goes with the failure.
      throw new Error(`${err.message}\n${logTails(stack)}`);
    });
  const hosts = [...NODES.map((n) => n.name), ROUTER.host, CLIENT.host];
  const controller = [...stack.controllers.running.values()][0]?.pod.spec?.nodeName;
  return formatSummary({
    seconds: upSeconds,
    kubeconfig: stack.env.kubeconfigs.admin,
    outcomes,
    namespaces: Object.fromEntries(hosts.map((h) => [h, stack.lab.ns(h)])),
    nodes: NODES.map((n) => n.name),
    routerHost: ROUTER.host,
    clientHost: CLIENT.host,
    vtyDir: `${stack.lab.dir}/frr-${ROUTER.host}`,
    speakerMetricsPort: DEFAULT_PORTS.speakerMetrics,
    controllerMetricsPort: DEFAULT_PORTS.controllerMetrics,
    controllerNode: controller ?? NODES[0]!.name,
    fluxSeconds: stack.fluxSeconds,
    ...(push ? { pushed: push } : {}),
    workingCopy: stack.gitops.repo.dir,
    overrideFile: overridePath(LAB_CLUSTER),
    cli: `node ${BIN}`,
    kubeDir: stack.env.dir,
    labDir: stack.lab.dir,
    check,
  });
}

async function tearDown(cleanup: Cleanup): Promise<boolean> {
  say("stopping every process the lab started and removing its namespaces and directories");
  const failed = await cleanup.run();
  for (const f of failed) say(`teardown problem: ${f}`);
  if (!failed.length) say("removed everything");
  return failed.length === 0;
}

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => a !== "--check");
  if (unknown.length) {
    process.stderr.write(`unknown argument(s): ${unknown.join(" ")}\n${USAGE}`);
    return 2;
  }
  const check = args.includes("--check") || process.env.METALLB_TS_LAB_CHECK === "1";
  const problems = preflightProblems();
  if (problems.length) {
    process.stderr.write(preflightMessage(problems));
    return 1;
  }
  const cleanup = new Cleanup();
  // Handlers stay installed (not `once`): a second Ctrl-C during teardown must not kill the
  // process half-way and leave namespaces behind. Under `npm start` one Ctrl-C arrives twice (from
  // the terminal and relayed by tsx), so only a later one is worth a word.
  const signalled = new Promise<string>((resolve) => {
    let first: number | undefined;
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.on(sig, () => {
        if (first === undefined) {
          first = Date.now();
          return resolve(sig);
        }
        if (Date.now() - first > 1000) say(`${sig}: already stopping, please wait`);
      });
    }
  });
  const up = bringUp(cleanup, check).then(
    (summary) => ({ summary }),
    (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
  );
  const first = await Promise.race([up, signalled.then((signal) => ({ signal }))]);
  if ("signal" in first) {
    say(`${first.signal} while starting`);
    await tearDown(cleanup);
    // A step in flight (an API server or namespace being created) registers its undo when it
    // finishes, and the closed Cleanup runs it at once; give it the time to get there.
    await Promise.race([up, new Promise((r) => setTimeout(r, IN_FLIGHT_GRACE_MS))]);
    return 130;
  }
  if ("error" in first) {
    process.stderr.write(`[lab] FAILED: ${first.error}\n`);
    await tearDown(cleanup);
    return 1;
  }
  process.stdout.write(`\n${first.summary}\n`);
  if (!check) say(`${await signalled} received`);
  return (await tearDown(cleanup)) ? 0 : 1;
}

// Exits explicitly: a start-up step interrupted by a signal may still hold timers.
process.exit(await main(process.argv.slice(2)));
