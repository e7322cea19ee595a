// `npm run images [-- --force] [-- --refresh-base] [-- --stage-only]`: see docs/images.md.
import { parseArgs } from "node:util";
import { join } from "node:path";
import { buildImages } from "./build.js";
import { BuildStepError } from "./step.js";

const USAGE = `usage: npm run images [-- options]

  --force          rebuild even when the inputs are unchanged
  --refresh-base   bootstrap the Debian base again (newer packages, e.g. security updates)
  --stage-only     stage dist/images/context for docker/podman build and stop
`;

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        force: { type: "boolean", default: false },
        "refresh-base": { type: "boolean", default: false },
        "stage-only": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`images: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const started = Date.now();
  try {
    const manifest = await buildImages({
      repo: join(import.meta.dirname, "../.."),
      log: (line) => process.stderr.write(`[images] ${line}\n`),
      force: values.force,
      refreshBase: values["refresh-base"],
      stageOnly: values["stage-only"],
    });
    for (const i of manifest.images) {
      process.stdout.write(
        `${i.reference}  ${i.digest}  ${mib(i.compressedSize)} compressed, ` +
          `${mib(i.uncompressedSize)} uncompressed  ${i.archive}\n`,
      );
    }
    process.stderr.write(`[images] finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  } catch (err) {
    if (err instanceof BuildStepError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
