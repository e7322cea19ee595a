// `metallb-ts <command>`: the runtime's entry point. The controller and speaker commands arrive
// with their issues; what exists today is listed by `help`.
import { stringify } from "yaml";
import { KINDS } from "../api/kinds/index.js";
import { crdFor } from "../api/generate/crd.js";
import { readFileSync } from "node:fs";

const USAGE = `usage: metallb-ts <command>

commands:
  crds       print the metallb.io CustomResourceDefinitions (kubectl apply -f -)
  version    print the version
  help       print this text
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export function main(argv: string[]): number {
  const [command = "help"] = argv;
  switch (command) {
    case "crds":
      process.stdout.write(KINDS.map((k) => stringify(crdFor(k), { lineWidth: 0 })).join("---\n"));
      return 0;
    case "version":
    case "--version":
      process.stdout.write(`metallb-ts ${version()}\n`);
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
