// The process around `main`: what bin/metallb-ts.js runs through tsx in a checkout, and the entry
// point esbuild bundles for the OCI images.
import { main } from "./cli.js";

// A closed pipe (`metallb-ts crds | head`) ends the output, not the process with a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`metallb-ts: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
// Informers and timers may keep the loop alive after a command is done.
process.exit();
