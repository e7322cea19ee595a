// `metallb-ts <command>` as the images run it: the runtime's commands. A checkout's
// `bin/metallb-ts.js` adds the GitOps tooling (`validate`) on top (src/cli.ts); the images carry
// only this, so neither the validator nor its schema libraries end up in them.
import { stringify } from "yaml";
import { crdFor } from "../api/generate/crd.js";
import { KINDS } from "../api/kinds/index.js";
import { controllerCommand } from "./controller/command.js";
import { CONTROLLER, SPEAKER } from "./flags.js";
import { speakerCommand } from "./speaker/command.js";
// Imported (not read at run time) so that the bundle in the images carries its own version.
import pkg from "../../package.json" with { type: "json" };

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const RUNTIME_COMMANDS = [
  ["controller", `${CONTROLLER.summary} (metallb-ts controller --help)`],
  ["speaker", `${SPEAKER.summary} (metallb-ts speaker --help)`],
  ["crds", "print the metallb.io CustomResourceDefinitions (… | kubectl apply -f -)"],
  ["version", "print the version"],
  ["help", "print this text"],
] as const;

export function usage(commands: readonly (readonly [string, string])[]): string {
  const width = Math.max(...commands.map(([c]) => c.length));
  return `usage: metallb-ts <command> [flags]\n\ncommands:\n${commands
    .map(([c, what]) => `  ${c.padEnd(width)}  ${what}`)
    .join("\n")}\n`;
}

/** Runs a runtime command; undefined when `command` is not one of them. */
export async function runtimeCommand(
  command: string,
  args: string[],
  io: Io,
): Promise<number | undefined> {
  switch (command) {
    case "controller":
      return controllerCommand(args, io.out, io.err);
    case "speaker":
      return speakerCommand(args, io.out, io.err);
    case "crds":
      io.out(KINDS.map((k) => stringify(crdFor(k), { lineWidth: 0 })).join("---\n"));
      return 0;
    case "version":
    case "--version":
      io.out(`metallb-ts ${pkg.version}\n`);
      return 0;
    default:
      return undefined;
  }
}

/** The images' entry point. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command = "help", ...rest] = argv;
  const text = usage(RUNTIME_COMMANDS);
  if (command === "help" || command === "--help" || command === "-h") {
    io.out(text);
    return 0;
  }
  const code = await runtimeCommand(command, rest, io);
  if (code !== undefined) return code;
  if (command === "validate") {
    io.err(
      "metallb-ts: validate is not part of the runtime image; run it from a checkout of your " +
        "GitOps repository (./bin/metallb-ts.js validate, or npx metallb-ts validate)\n",
    );
    return 2;
  }
  io.err(`metallb-ts: unknown command "${command}"\n${text}`);
  return 2;
}
