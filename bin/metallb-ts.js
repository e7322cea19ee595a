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
process.exitCode = main(process.argv.slice(2));
