// The speaker image's bundle is also its own heartbeat worker (src/runtime/bin.ts): started as a
// worker thread with the heartbeat workerData, it runs the heartbeat transport instead of the
// CLI. Two such workers inside the image, in one lab namespace, must see each other alive and
// then see each other leave; a worker given no key must say why.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_DIR, BUNDLE_FILE } from "../../src/images/config.js";
import { Lab } from "../../src/lab/net/index.js";
import { HEARTBEAT_WORKER } from "../../src/runtime/heartbeat/index.js";
import { builtImage, container, type Container } from "./harness.js";

/** Plain JavaScript: the image has Node and the bundle, nothing else. */
const PROBE = `
import { Worker } from "node:worker_threads";
const bundle = new URL("./${BUNDLE_FILE}", import.meta.url);
const key = new Uint8Array(32).fill(7);
const seen = [];
const start = (node, port, peerPort, keys) =>
  new Promise((resolve, reject) => {
    const w = new Worker(bundle, {
      workerData: {
        ${JSON.stringify(HEARTBEAT_WORKER)}: { node, keys, port, intervalMs: 100, missed: 5, logLevel: "error" },
      },
    });
    w.on("error", reject);
    w.on("message", (m) => {
      if (m.t === "ready") {
        w.postMessage({ t: "peers", peers: [{ node: node === "a" ? "b" : "a", address: "192.0.2.10", port: peerPort }] });
        resolve(w);
      } else if (m.t === "failed") resolve({ failed: m.message });
      else if (m.t === "peer") seen.push(node + " saw " + m.node + " " + m.state);
    });
  });
const a = await start("a", 17001, 17002, [key]);
const b = await start("b", 17002, 17001, [key]);
const keyless = await start("c", 17003, 17001, []);
await new Promise((r) => setTimeout(r, 1500));
b.postMessage({ t: "leave" });
await new Promise((r) => setTimeout(r, 1000));
console.log(JSON.stringify({ seen, keyless: keyless.failed ?? "started" }));
process.exit(0);
`;

describe("speaker image: the bundle as its own heartbeat worker", () => {
  const image = builtImage("metallb-ts-speaker");
  let ctr: Container | undefined;
  let lab: Lab | undefined;

  beforeAll(async () => {
    ctr = await container(image, "heartbeat");
    writeFileSync(join(ctr.root, APP_DIR, "heartbeat-probe.mjs"), PROBE);
    lab = await Lab.create({
      segments: ["lan"],
      hosts: [{ name: "speaker", links: [{ segment: "lan", addresses: ["192.0.2.10/24"] }] }],
    });
  });

  afterAll(async () => {
    await lab?.destroy();
    await ctr?.remove();
  });

  it("two workers from the bundle see each other alive, then see the leaver leave", async () => {
    if (!ctr || !lab) throw new Error("setup did not run");
    const out = await ctr.run(["/usr/local/bin/node", `/${APP_DIR}/heartbeat-probe.mjs`], {
      netns: lab.ns("speaker"),
    });
    const { seen, keyless } = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as {
      seen: string[];
      keyless: string;
    };
    expect(seen).toContain("a saw b alive");
    expect(seen).toContain("b saw a alive");
    expect(seen).toContain("a saw b left");
    expect(keyless).toMatch(/at least one key/);
  });
});
