// The controller image, run as a kubelet would run it with the chart's security context (its
// image user 65532, read-only root filesystem), against the real API server under the
// controller's RBAC identity, assigns an IP to a LoadBalancer Service.
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { NONROOT } from "../../src/images/config.js";
import type { Managed } from "../../src/sys/proc.js";
import { sharedHarness } from "../kube/shared-harness.js";
import { builtImage, container, startReadOnly, type Container } from "./harness.js";

const h = sharedHarness();
const NS = "img-controller";
const SYSTEM = "metallb-system";
const dir = mkdtempSync(join(tmpdir(), "metallb-ts-img-controller-"));
// The secret volume of the pod: the controller's kubeconfig, readable by its user only.
const secrets = mkdtempSync(join(tmpdir(), "metallb-ts-img-secrets-"));

describe("controller image (read-only root, uid 65532, real API server)", () => {
  let ctr: Container;
  let controller: Managed | undefined;

  beforeAll(async () => {
    ctr = await container(builtImage("metallb-ts-controller"), "ro");
    const kubeconfig = join(secrets, "kubeconfig");
    copyFileSync(inject("kube").kubeconfigs.controller, kubeconfig);
    chownSync(kubeconfig, NONROOT, NONROOT);
    chmodSync(kubeconfig, 0o600);
    chmodSync(secrets, 0o755);
    await h.grantControllerRbac(SYSTEM);
    await h.core.createNamespace({ body: { metadata: { name: NS } } });
    await h.createPool(SYSTEM, "img-pool", { addresses: ["203.0.113.96/29"] });
  });

  afterAll(async () => {
    await controller?.stop();
    await ctr?.remove();
    rmSync(dir, { recursive: true, force: true });
    rmSync(secrets, { recursive: true, force: true });
  });

  /** Runs `argv` in the container the way the chart's pod runs the controller. */
  const runReadOnly = (name: string, argv: string[]): Managed =>
    startReadOnly({
      name,
      root: ctr.root,
      user: ctr.config.config.User ?? "",
      env: ctr.config.config.Env ?? [],
      bind: secrets,
      bindAt: "/run",
      argv,
      logFile: join(dir, `${name}.log`),
    });

  it("gets a root filesystem that refuses writes, as its image user", async () => {
    const probe = runReadOnly("probe", [
      "/usr/local/bin/node",
      "-e",
      `const fs = require("node:fs");
       for (const p of ["/probe", "/tmp/probe", "/opt/metallb-ts/probe"]) {
         try { fs.writeFileSync(p, "x"); console.log(p, "WRITABLE"); } catch (e) { console.log(p, e.code); }
       }
       console.log("uid", process.getuid(), "gid", process.getgid());
       console.log("env", Object.keys(process.env).sort().join(","));`,
    ]);
    expect(await probe.exited).toBe(0);
    const out = probe.log();
    expect(out).toContain("/probe EROFS");
    expect(out).toContain("/tmp/probe EROFS");
    expect(out).toContain("/opt/metallb-ts/probe EROFS");
    expect(out).toContain(`uid ${NONROOT} gid ${NONROOT}`);
    const imageEnv = (ctr.config.config.Env ?? []).map((e) => e.split("=")[0]).sort();
    expect(out).toContain(`env ${imageEnv.join(",")}\n`);
  });

  it("assigns an IP to a LoadBalancer Service", async () => {
    const [entrypoint, ...rest] = [
      ...(ctr.config.config.Entrypoint ?? []),
      ...(ctr.config.config.Cmd ?? []),
    ];
    controller = runReadOnly("controller", [
      entrypoint ?? "",
      ...rest,
      "--kubeconfig=/run/kubeconfig",
      `--namespace=${SYSTEM}`,
      "--identity=img-controller",
      "--lease-duration=3",
      "--metrics-port=0",
      "--health-port=0",
    ]);
    await h.lbService(NS, "web");
    const ips = await h.waitIngress(NS, "web").catch((err: Error) => {
      throw new Error(`${err.message}\ncontroller log:\n${controller?.log() ?? ""}`);
    });
    expect(ips).toEqual(["203.0.113.96"]);
    const status = readFileSync(`/proc/${controller.pid}/status`, "utf8");
    expect(status).toMatch(new RegExp(`^Uid:\\s+${NONROOT}\\s`, "m"));
    expect(readFileSync(`/proc/${controller.pid}/cmdline`, "utf8").split("\0")[0]).toBe(
      "/usr/local/bin/node",
    );
    expect((await h.waitEvent(NS, "web", "IPAllocated")).message).toContain("203.0.113.96");
    // Only JSON log lines: the image silences its dependencies' deprecation warnings.
    expect(controller.log()).not.toContain("DeprecationWarning");
  });
});
