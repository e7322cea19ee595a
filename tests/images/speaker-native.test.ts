// The speaker image loads the native addon through the addon's own loader, as the bundle does
// (beside the bundle, in build/Release), and opens a packet socket inside a lab namespace with
// NET_RAW as its only capability — and cannot without it.
import { build } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { APP_DIR, BUNDLE_FILE } from "../../src/images/config.js";
import { hasNativeSource, NATIVE_DIR } from "../../src/images/native.js";
import { Lab } from "../../src/lab/net/index.js";
import { builtImage, container, type Container } from "./harness.js";

const { repo } = inject("images");
const present = hasNativeSource(repo);
const ABSENT = `the native addon's sources (${NATIVE_DIR}/binding.gyp) are not in this tree yet`;

/** Calls the loader from where the bundle sits, so it resolves build/Release as the bundle does. */
const PROBE = `
import { links, openPacketSocket } from ${JSON.stringify(join(repo, NATIVE_DIR, "index.ts"))};
const names = links().map((l) => l.name);
try {
  const socket = openPacketSocket("eth0", () => {});
  socket.close();
  console.log(JSON.stringify({ names, opened: true }));
} catch (err) {
  console.log(JSON.stringify({ names, opened: false, code: err.code }));
}
`;

describe("speaker image: native addon", () => {
  const image = builtImage("metallb-ts-speaker");
  let ctr: Container | undefined;
  let lab: Lab | undefined;

  beforeAll(async () => {
    if (!present) return;
    ctr = await container(image, "native");
    await build({
      stdin: { contents: PROBE, resolveDir: repo, loader: "ts" },
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: join(ctr.root, APP_DIR, "native-probe.mjs"),
      logLevel: "silent",
    });
    lab = await Lab.create({
      segments: ["lan"],
      hosts: [{ name: "speaker", links: [{ segment: "lan", addresses: ["192.0.2.10/24"] }] }],
    });
  });

  afterAll(async () => {
    await lab?.destroy();
    await ctr?.remove();
  });

  it("loads the addon and opens a packet socket in a lab namespace with NET_RAW only", async (ctx) => {
    ctx.skip(!present, ABSENT);
    if (!ctr || !lab) throw new Error("setup did not run");
    expect(image.nativeAddons.length).toBeGreaterThan(0);
    for (const file of image.nativeAddons) {
      expect(existsSync(join(ctr.root, APP_DIR, "build/Release", file))).toBe(true);
    }
    // The bundle's copy of the loader resolves the addon beside the bundle: that file is shipped.
    const bundle = readFileSync(join(ctr.root, APP_DIR, BUNDLE_FILE), "utf8");
    const wanted = [
      ...bundle.matchAll(/new URL\("\.\/(build\/Release\/[^"]+\.node)", import\.meta\.url\)/g),
    ].map((m) => m[1] ?? "");
    expect(wanted.length).toBeGreaterThan(0);
    for (const rel of wanted) expect(existsSync(join(ctr.root, APP_DIR, rel)), rel).toBe(true);
    const probe = ["/usr/local/bin/node", `/${APP_DIR}/native-probe.mjs`];
    const netns = lab.ns("speaker");
    const granted = JSON.parse(
      await ctr.run(probe, { user: "0:0", capsOnly: ["CAP_NET_RAW"], netns }),
    ) as { names: string[]; opened: boolean };
    expect(granted.names).toContain("eth0");
    expect(granted.opened).toBe(true);
    const denied = JSON.parse(await ctr.run(probe, { user: "0:0", capsOnly: [], netns })) as {
      opened: boolean;
      code?: string;
    };
    expect(denied).toMatchObject({ opened: false, code: "EPERM" });
  });
});
