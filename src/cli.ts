// `metallb-ts <command>` in a checkout (bin/metallb-ts.js): the runtime's commands plus the
// GitOps tooling, which the images leave out.
import { RUNTIME_COMMANDS, runtimeCommand, usage, type Io } from "./runtime/cli.js";

const COMMANDS = [
  ...RUNTIME_COMMANDS.slice(0, 3),
  [
    "validate",
    "check every cluster's override-values.yaml, kustomize and helm output " +
      '(metallb-ts validate [PATH]; PATH: the repository, default ".", or one overlay)',
  ],
  ...RUNTIME_COMMANDS.slice(3),
] as const;

export async function main(argv: string[], io: Io): Promise<number> {
  const [command = "help", ...rest] = argv;
  const text = usage(COMMANDS);
  if (command === "help" || command === "--help" || command === "-h") {
    io.out(text);
    return 0;
  }
  if (command === "validate")
    // Loaded on demand: the schema libraries it needs would slow every other command's start.
    return (await import("./gitops/validate/command.js")).validateCommand(rest);
  const code = await runtimeCommand(command, rest, io);
  if (code !== undefined) return code;
  io.err(`metallb-ts: unknown command "${command}"\n${text}`);
  return 2;
}
