// `metallb-ts <command>` in a checkout (bin/metallb-ts.js): the runtime's commands plus the
// GitOps tooling, which the images leave out.
import { RUNTIME_COMMANDS, dispatch, type Command, type Io } from "./runtime/cli.js";

const VALIDATE: Command = {
  name: "validate",
  summary:
    "check every cluster's override-values.yaml, kustomize and helm output " +
    '(metallb-ts validate [PATH]; PATH: the repository, default ".", or one overlay)',
  // Loaded on demand: the schema libraries it needs would slow every other command's start.
  run: async (args) => (await import("./gitops/validate/command.js")).validateCommand(args),
};

const STATUS: Command = {
  name: "status",
  summary:
    "show pools with usage, Services with addresses and announcers, problems and the Flux " +
    "objects of the release (metallb-ts status --help)",
  run: async (args, io) =>
    (await import("./status/command.js")).statusCommand(args, io.out, io.err),
};

export const main = (argv: string[], io: Io): Promise<number> =>
  dispatch(
    [...RUNTIME_COMMANDS.slice(0, 3), VALIDATE, STATUS, ...RUNTIME_COMMANDS.slice(3)],
    argv,
    io,
  );
