// Runs a process in an image's root filesystem the way a kubelet runs a container, without a
// container runtime: a read-only root, volumes bound at their mount paths, a PID namespace of
// its own (stopping the process ends everything it started, daemons included), an optional lab
// network namespace, and only the capabilities the Pod grants (capsh chroots, then drops every
// other capability from the bounding set, so that even root cannot regain them).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { run, startProcess, type Managed } from "../sys/proc.js";
import { systemTool } from "../sys/tools.js";

export interface Volume {
  /** A host directory (an emptyDir, a ConfigMap's files). */
  source: string;
  /** Absolute path inside the container. */
  at: string;
  readOnly?: boolean;
}

export interface RootfsContainer {
  name: string;
  /** The image's root filesystem on the host (e.g. a buildah mount). */
  root: string;
  /** The whole environment (a container's is the image's Env plus the Pod's, not the host's). */
  env: string[];
  /** e.g. ["CAP_NET_ADMIN"]; every other capability is dropped. */
  capabilities: string[];
  volumes: Volume[];
  /** A network namespace to run in (`ip netns` name); the caller's otherwise. */
  netns?: string;
  argv: string[];
  logFile: string;
}

let allCaps: Promise<string[]> | undefined;

/** The capabilities this kernel knows, from capsh (cap_chown, …). */
function knownCapabilities(): Promise<string[]> {
  allCaps ??= run([systemTool("capsh"), "--print"]).then((out) => {
    const line = /^Bounding set =(.*)$/m.exec(out)?.[1];
    if (!line) throw new Error(`capsh --print shows no bounding set:\n${out}`);
    return line.split(",").filter(Boolean);
  });
  return allCaps;
}

/** Starts the container's process; its Managed.stop() ends the whole container. */
export async function startInRootfs(c: RootfsContainer): Promise<Managed> {
  const keep = new Set(c.capabilities.map((cap) => cap.toLowerCase()));
  const drop = (await knownCapabilities()).filter((cap) => !keep.has(cap));
  // Mount points are made while the root is still writable, as a runtime does.
  for (const v of c.volumes) mkdirSync(join(c.root, v.at), { recursive: true });
  const script = [
    "set -eu",
    "root=$1 env=$2 caps=$3 volumes=$4; shift 4",
    'mount --bind "$root" "$root"',
    'mount -o remount,bind,ro "$root"',
    'mount -t proc proc "$root/proc"',
    'mount -t tmpfs -o mode=0755,size=64k tmpfs "$root/dev"',
    'for d in null zero full random urandom; do : >"$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done',
    'ln -s /proc/self/fd "$root/dev/fd"',
    // One volume per line: source, mount path, "ro" or "rw".
    'printf "%s\\n" "$volumes" | while read -r src dst mode; do',
    '  [ -n "$src" ] || continue',
    '  mount --bind "$src" "$root$dst"',
    '  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$root$dst"; fi',
    "done",
    'IFS="\n"; set -f',
    // $env is the environment, one NAME=value per line; -i drops the host's.
    // capsh chroots (and changes to /), drops the rest, then runs `--shell` with what follows `--`.
    "cmd=$1; shift",
    `exec env -i $env ${systemTool("capsh")} --chroot="$root" --drop="$caps" --shell="$cmd" -- "$@"`,
  ].join("\n");
  const [shell, ...args] = c.argv;
  if (!shell) throw new Error(`container ${c.name}: no command`);
  const argv = [
    ...(c.netns ? ["ip", "netns", "exec", c.netns] : []),
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "--pid",
    "--fork",
    "--kill-child",
    "sh",
    "-c",
    script,
    "sh",
    c.root,
    c.env.join("\n"),
    drop.join(","),
    c.volumes.map((v) => `${v.source} ${v.at} ${v.readOnly ? "ro" : "rw"}`).join("\n"),
    shell,
    ...args,
  ];
  return startProcess(c.name, argv, c.logFile);
}
