// Where the provisioned binaries live, and a clear error when they do not.
import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export class MissingToolError extends Error {
  constructor(tool: string, path: string) {
    super(
      `${tool} not found at ${path}. Fix: run \`npm run provision\` (tools/provision.sh), ` +
        "which installs the Debian packages and builds kube-apiserver, etcd, helm, kwok and Flux's controllers into the cache.",
    );
    this.name = "MissingToolError";
  }
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.METALLB_TS_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "metallb-ts")
  );
}

/** Absolute path of a binary built into the cache by tools/provision.sh. */
export type CachedTool =
  | "kube-apiserver"
  | "kube-controller-manager"
  | "kube-scheduler"
  | "etcd"
  | "helm"
  | "kwok"
  | "source-controller"
  | "kustomize-controller"
  | "helm-controller"
  | "notification-controller"
  | "flux"
  | "registry"
  | "envoy-gateway";

export function cachedTool(name: CachedTool): string {
  const path = join(cacheDir(), "bin", name);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new MissingToolError(name, path);
  }
  return path;
}

/** Absolute path of a Debian-installed binary. */
export function systemTool(
  name: string,
  dirs = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"],
): string {
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next directory
    }
  }
  throw new MissingToolError(name, dirs.join(":"));
}

/**
 * The argv prefix that runs a program with its wall clock shifted by `offset` ("+30s", "-30s"),
 * through libfaketime (Debian's faketime package). `env` execs the program, so the process
 * started is the program itself (signals reach it, its PID is its own).
 */
export function skewedClock(offset: string): string[] {
  const names = ["libfaketimeMT.so.1"];
  const dirs = ["/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime"];
  for (const dir of dirs)
    for (const name of names) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.R_OK);
        return ["env", `LD_PRELOAD=${path}`, `FAKETIME=${offset}`];
      } catch {
        // try the next place
      }
    }
  throw new MissingToolError("libfaketime", dirs.join(":"));
}
