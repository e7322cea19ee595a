// `npm start -- --check` end to end: the embedded lab comes up from real parts on the GitOps loop
// (Flux installs the lab cluster from the lab's Git host), its demo works on the wire (addresses,
// ARP/NDP answers, BGP routes in FRR), a push to the lab's Git host is applied, the summary says
// how to use it, and everything it started is gone afterwards.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { run } from "../../src/sys/proc.js";
import { KUBE_STATE_ROOT } from "../../src/lab/kube/cluster.js";

const main = fileURLToPath(new URL("../../src/lab/start/main.ts", import.meta.url));

function runCheck(): Promise<{ code: number | null; out: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", main, "--check"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, pid: child.pid ?? -1 }));
  });
}

describe("npm start -- --check (the embedded lab)", () => {
  it("brings the lab up, verifies the demo, prints the summary and removes everything", async () => {
    const { code, out, pid } = await runCheck();
    expect(code, out).toBe(0);
    expect(out).toMatch(/kubectl --kubeconfig \/tmp\/metallb-ts-kube\/\S+\/admin\.kubeconfig/);
    expect(out).toMatch(/demo\/web +192\.0\.2\.2\d\d, 2001:db8::\w+ +L2: node\d/);
    expect(out).toMatch(/demo\/shop +192\.0\.2\.2\d\d +L2: node\d answers ARP\/NDP/);
    expect(out).toMatch(
      /demo\/api +203\.0\.113\.1\d, 2001:db8:1::\w+ +BGP: the router learnt it from node1, node2, node3/,
    );
    expect(out).toContain("vtysh --vty_socket");
    // The loop: Flux installed it from the lab cluster's override, and a push was applied.
    expect(out).toMatch(
      /Flux installed the chart and the configuration from overlays\/lab\/services\/metallb\/override-values\.yaml/,
    );
    expect(out).toMatch(/cd \/tmp\/metallb-ts-kube\/\S+\/work/);
    expect(out).toMatch(
      /a push adding 192\.0\.2\.220-192\.0\.2\.229 to pool lan was applied in [\d.]+ s/,
    );
    expect(out).toMatch(/a push of controller\.logLevel: debug rolled the controllers in [\d.]+ s/);
    expect(out).toMatch(
      /`metallb-ts status` exits 0 with BGP sessions Established on node1, node2, node3/,
    );
    expect(out).toContain("check passed");
    expect(out).toContain("removed everything");
    // Nothing of that run is left: no namespaces, no API server state.
    const namespaces = await run(["ip", "netns", "list"]);
    expect(namespaces).not.toContain(`mlbts-${pid}x`);
    const kubeDirs = existsSync(KUBE_STATE_ROOT) ? readdirSync(KUBE_STATE_ROOT) : [];
    expect(kubeDirs.filter((d) => d.startsWith(`${pid}-`))).toEqual([]);
  }, 300_000);
});
