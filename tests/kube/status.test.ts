// `metallb-ts status` against the real API server: a real controller assigns addresses and
// writes pool usage; the speaker's status objects are written as the speaker writes them (its
// RBAC identity); the command runs as a user would run it and its exit code says whether it
// found problems.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { Managed } from "../../src/sys/proc.js";
import { mergePatch } from "../../src/runtime/kube/patch.js";
import { customObjects } from "./client.js";
import { sharedHarness } from "./shared-harness.js";

const h = sharedHarness();
const CONFIG = "status-system";
const NS = "status-apps";
const CLASS = "metallb-ts.io/status-test";
const BIN = join(import.meta.dirname, "../../bin/metallb-ts.js");
const logDir = mkdtempSync(join(tmpdir(), "metallb-ts-status-"));
let controller: Managed;

const status = (...args: string[]) =>
  spawnSync(
    process.execPath,
    [BIN, "status", "--kubeconfig", inject("kube").kubeconfigs.admin, ...args],
    { encoding: "utf8" },
  );

/** As the speaker writes them: the object, then its status through the status subresource. */
async function statusObject(plural: string, kind: string, name: string, status: object) {
  const custom = customObjects("admin");
  const ref = { group: "metallb.io", version: "v1beta1", namespace: CONFIG, plural };
  await custom.createNamespacedCustomObject({
    ...ref,
    body: { apiVersion: "metallb.io/v1beta1", kind, metadata: { name }, spec: {} },
  });
  await custom.patchNamespacedCustomObjectStatus({ ...ref, name, body: { status } }, mergePatch);
}

describe("metallb-ts status (real API server, real controller)", () => {
  beforeAll(async () => {
    await h.core.createNamespace({ body: { metadata: { name: CONFIG } } });
    await h.core.createNamespace({ body: { metadata: { name: NS } } });
    await h.grantControllerRbac(CONFIG);
    await h.createPool(CONFIG, "status-main", { addresses: ["198.51.100.240/30"] });
    controller = h.startController({
      identity: "status-ctl",
      configNamespace: CONFIG,
      lbClass: CLASS,
      logDir,
    });
    await h.lbService(NS, "web", { spec: { loadBalancerClass: CLASS } });
    await h.waitIngress(NS, "web");
  });

  afterAll(async () => {
    await controller?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it("lists pools with usage and Services with their address; nothing wrong → exit 0", () => {
    const r = status("--namespace", CONFIG, "--lb-class", CLASS);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/status-main\s+yes\s+1\/4\s+-\s+198\.51\.100\.240\/30/);
    expect(r.stdout).toMatch(new RegExp(`${NS}/web\\s+198\\.51\\.100\\.24[0-3]\\s+nobody`));
    expect(r.stdout).toContain("Problems: none");
    expect(r.status).toBe(0);
  });

  it("names announcers, held-back addresses, invalid configuration and waiting Services → exit 1", async () => {
    const [ip] = await h.ingress(NS, "web");
    await statusObject("servicel2statuses", "ServiceL2Status", "l2-web-node-a", {
      node: "node-a",
      serviceName: "web",
      serviceNamespace: NS,
      interfaces: [{ name: "eth0" }],
      conditions: [
        {
          type: "Announced",
          status: "False",
          reason: "IPConflict",
          message: `${ip} is answered by 02:00:00:00:00:99`,
          lastTransitionTime: new Date().toISOString(),
        },
      ],
    });
    await statusObject("configurationstates", "ConfigurationState", "speaker-node-a", {
      result: "Invalid",
      errorSummary: "BGPPeer edge: vrf is not supported",
    });
    // A Service of this class asking for a pool that does not exist stays without address.
    await h.lbService(NS, "orphan", {
      spec: { loadBalancerClass: CLASS },
      annotations: { "metallb.io/address-pool": "no-such-pool" },
    });
    const r = status("--namespace", CONFIG, "--lb-class", CLASS);
    expect(r.stdout).toMatch(
      new RegExp(
        `${NS}/web\\s+${ip!.replace(/\./g, "\\.")}\\s+L2 node-a \\(eth0\\) held back: IPConflict`,
      ),
    );
    expect(r.stdout).toMatch(new RegExp(`${NS}/orphan\\s+<pending>\\s+nobody`));
    expect(r.stdout).toContain(
      `Service ${NS}/web held back on node-a: IPConflict — ${ip} is answered by 02:00:00:00:00:99`,
    );
    expect(r.stdout).toContain(
      "ConfigurationState speaker-node-a: Invalid: BGPPeer edge: vrf is not supported",
    );
    expect(r.stdout).toContain(`Service ${NS}/orphan has no address yet`);
    expect(r.status).toBe(1);
  });

  it("says which cluster it could not read → exit 2", () => {
    const r = spawnSync(process.execPath, [BIN, "status", "--kubeconfig", "/nonexistent"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot load the kubeconfig.*give --kubeconfig FILE/);
  });
});
