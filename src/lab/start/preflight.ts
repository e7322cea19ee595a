// Before anything starts: root, and every provisioned part the lab runs. All problems are
// reported together, each with its fix, instead of failing half-way through start-up.
import { existsSync } from "node:fs";
import { addonPath } from "../../runtime/native/index.js";
import { cachedTool, systemTool } from "../../sys/tools.js";

const PROVISION_FIX = "fix: run `npm test` once, or `bash tools/bootstrap.sh` (as root)";

/** Problems that stop the lab from starting, each with its fix; empty when it can start. */
export function preflightProblems(): string[] {
  const problems: string[] = [];
  if (process.getuid?.() !== 0)
    problems.push(
      "not root: the lab needs network namespaces and raw sockets; fix: `sudo npm start`",
    );
  const probe = (what: () => unknown) => {
    try {
      what();
    } catch (err) {
      // The tools' own errors name the path; the fix is the lab's.
      problems.push(`${(err as Error).message.split(". Fix:")[0]!}; ${PROVISION_FIX}`);
    }
  };
  for (const part of [
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok",
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
  ] as const)
    probe(() => cachedTool(part));
  for (const daemon of ["zebra", "bgpd"]) probe(() => systemTool(daemon, ["/usr/lib/frr"]));
  for (const tool of ["vtysh", "ip", "arping", "ndisc6", "git"]) probe(() => systemTool(tool));
  const addon = addonPath();
  if (!existsSync(addon))
    problems.push(`the speaker's native addon is not built (${addon}); ${PROVISION_FIX}`);
  return problems;
}

export function preflightMessage(problems: string[]): string {
  return `npm start cannot run:\n  - ${problems.join("\n  - ")}\n`;
}
