// The speakers' heartbeat key Secret, made by the controller process under its RBAC identity
// (it may create Secrets in its namespace, nothing else on them): made once when missing, with
// a key the speakers accept; left alone when it exists — across restarts, and when an operator
// brought their own or is half-way through a rotation.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkKey } from "../../src/runtime/heartbeat/codec.js";
import { waitFor } from "../../src/sys/proc.js";
import { sharedHarness } from "./shared-harness.js";

const h = sharedHarness();
const NS = "hb-secret";
const NAME = "metallb-ts-heartbeat";
const logDir = mkdtempSync(join(tmpdir(), "metallb-ts-hb-secret-"));

const read = () => h.core.readNamespacedSecret({ namespace: NS, name: NAME });
/** Runs a controller until it has said what it did about the Secret; returns its log. */
const runController = async (identity: string) => {
  const p = h.startController({ identity, configNamespace: NS, heartbeatSecret: NAME, logDir });
  try {
    return await waitFor(
      `${identity} to create or leave the heartbeat Secret`,
      () => {
        const log = p.log();
        return Promise.resolve(
          /created the speakers' heartbeat key Secret|heartbeat key Secret exists/.test(log)
            ? log
            : undefined,
        );
      },
      60_000,
    );
  } finally {
    await p.stop();
  }
};

beforeAll(async () => {
  await h.core.createNamespace({ body: { metadata: { name: NS } } });
  await h.grantControllerRbac(NS);
});

afterAll(async () => {
  await h.core.deleteNamespace({ name: NS }).catch(() => undefined);
  rmSync(logDir, { recursive: true, force: true });
});

describe("the heartbeat key Secret", () => {
  it("is made once with a usable random key, and a restarted controller leaves it as it is", async () => {
    expect(await runController("hb-1")).toMatch(/created the speakers' heartbeat key Secret/);
    const made = await read();
    const key = Buffer.from(made.data?.key ?? "", "base64");
    expect(key.length).toBe(32);
    expect(() => checkKey(key)).not.toThrow();
    expect(made.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBe("metallb-ts-controller");
    const again = await runController("hb-2");
    expect(again).toMatch(/heartbeat key Secret exists; left as it is/);
    expect(again).not.toMatch(/could not create the heartbeat key Secret/);
    expect((await read()).data).toEqual(made.data);
  });

  it("an operator's Secret mid-rotation (key, accept-previous) is not touched", async () => {
    await h.core.deleteNamespacedSecret({ namespace: NS, name: NAME });
    const data = {
      key: Buffer.alloc(32, 1).toString("base64"),
      "accept-previous": Buffer.alloc(32, 2).toString("base64"),
    };
    await h.core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: NAME }, data },
    });
    expect(await runController("hb-3")).toMatch(/heartbeat key Secret exists/);
    const kept = await read();
    expect(kept.data).toEqual(data);
    expect(kept.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBeUndefined();
  });
});
