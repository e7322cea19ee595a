#!/usr/bin/env node
// `metallb-ts <command>` in a checkout: the runtime's commands and the GitOps tooling. Runs the
// esbuild bundle of the sources (bin/cli-bundle.js), as the images do; when the bundle cannot be
// made it says why and runs the TypeScript sources through tsx instead.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO, cliBundle } from "./cli-bundle.js";

let bundle;
if (!process.env.METALLB_TS_FROM_SOURCES) {
  try {
    bundle = await cliBundle();
  } catch (err) {
    const why = String(err instanceof Error ? err.message : err).split("\n")[0];
    process.stderr.write(`metallb-ts: running from the sources (no bundle: ${why})\n`);
  }
}
if (bundle) {
  // The bundle lives elsewhere than src/runtime/native, where the addon is built.
  process.env.METALLB_TS_NATIVE ??= join(
    REPO,
    "src/runtime/native/build/Release/metallb_native.node",
  );
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/bin.ts");
}
