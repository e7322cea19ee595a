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

export interface Command {
  name: string;
  summary: string;
  run: (args: string[], io: Io) => Promise<number>;
}

/** A command without flags that prints a text and succeeds; `--help` says what it prints. */
const printer =
  (name: string, summary: string, text: () => string): Command["run"] =>
  (args: string[], io: Io): Promise<number> => {
    if (args.includes("--help") || args.includes("-h")) {
      io.out(`usage: metallb-ts ${name}\n\n${summary}\n`);
      return Promise.resolve(0);
    }
    if (args.length) {
      io.err(`metallb-ts ${name}: takes no arguments, got ${args.join(" ")}\n`);
      return Promise.resolve(2);
    }
    io.out(text());
    return Promise.resolve(0);
  };

const CRDS_SUMMARY = "print the metallb.io CustomResourceDefinitions (… | kubectl apply -f -)";

export const RUNTIME_COMMANDS: readonly Command[] = [
  {
    name: "controller",
    summary: `${CONTROLLER.summary} (metallb-ts controller --help)`,
    run: (args, io) => controllerCommand(args, io.out, io.err),
  },
  {
    name: "speaker",
    summary: `${SPEAKER.summary} (metallb-ts speaker --help)`,
    run: (args, io) => speakerCommand(args, io.out, io.err),
  },
  {
    name: "crds",
    summary: CRDS_SUMMARY,
    run: printer("crds", CRDS_SUMMARY, () =>
      KINDS.map((k) => stringify(crdFor(k), { lineWidth: 0 })).join("---\n"),
    ),
  },
  {
    name: "version",
    summary: "print the version",
    run: printer("version", "print the version", () => `metallb-ts ${pkg.version}\n`),
  },
];

export function usage(commands: readonly Command[]): string {
  const rows = [...commands, { name: "help", summary: "print this text" }];
  const width = Math.max(...rows.map((c) => c.name.length));
  return `usage: metallb-ts <command> [flags]\n\ncommands:\n${rows
    .map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
    .join("\n")}\n`;
}

/**
 * Runs the command argv names. `elsewhere` explains a command this program does not carry
 * (undefined: simply unknown).
 */
export async function dispatch(
  commands: readonly Command[],
  argv: string[],
  io: Io,
  elsewhere: (command: string) => string | undefined = () => undefined,
): Promise<number> {
  const [name = "help", ...args] = argv;
  const text = usage(commands);
  if (name === "help" || name === "--help" || name === "-h") {
    io.out(text);
    return 0;
  }
  const command = commands.find((c) => c.name === name || `--${c.name}` === name);
  if (command) return command.run(args, io);
  io.err(`metallb-ts: ${elsewhere(name) ?? `unknown command "${name}"\n${text}`}`);
  return 2;
}

/** The images' entry point. */
export const main = (argv: string[], io: Io): Promise<number> =>
  dispatch(RUNTIME_COMMANDS, argv, io, (name) =>
    name === "validate"
      ? "validate is not part of the runtime image; run it from a checkout of your GitOps " +
        "repository (./bin/metallb-ts.js validate, or npx metallb-ts validate)\n"
      : undefined,
  );
