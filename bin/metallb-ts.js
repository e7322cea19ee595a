#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx); the OCI images ship a bundled build instead.
import { register } from "tsx/esm/api";

// A closed pipe (`metallb-ts crds | head`) ends the output, not the process with a stack trace.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});
register();
const { main } = await import("../src/runtime/cli.ts");
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`metallb-ts: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
// Informers and timers may keep the loop alive after a command is done.
process.exit();
