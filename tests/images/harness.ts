// Running the built images the way a node would: working containers from the OCI archives
// (never from the builder's storage), `buildah run` with the image's configuration, and a
// read-only variant for the controller.
import { join } from "node:path";
import { inject } from "vitest";
import type { ImageRecord } from "../../src/images/build.js";
import { inspectArchive, type ImageConfig } from "../../src/images/oci-archive.js";
import { run, startProcess, type Managed } from "../../src/sys/proc.js";
import { CONTAINER_PREFIX, imagesBuildah } from "./stale.js";

export function builtImage(name: string): ImageRecord {
  const image = inject("images").manifest.images.find((i) => i.name === name);
  if (!image) throw new Error(`images.json lists no ${name}`);
  return image;
}

export interface Container {
  name: string;
  /** The container's root filesystem on the host. */
  root: string;
  config: ImageConfig;
  /** `buildah run` with the image's user unless `user` is given; resolves with stdout. */
  run(
    argv: string[],
    opts?: { user?: string; capsOnly?: string[]; netns?: string },
  ): Promise<string>;
  remove(): Promise<void>;
}

/** buildah's default capability set for `run`; dropping them all leaves only what is added. */
const BUILDAH_DEFAULT_CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_NET_BIND_SERVICE",
  "CAP_SETFCAP",
  "CAP_SETGID",
  "CAP_SETPCAP",
  "CAP_SETUID",
  "CAP_SYS_CHROOT",
];

export async function container(image: ImageRecord, label: string): Promise<Container> {
  const { repo } = inject("images");
  const buildah = imagesBuildah(repo);
  const archive = join(repo, image.archive);
  const name = `${CONTAINER_PREFIX}${process.pid}-${label}`;
  const { config } = await inspectArchive(archive);
  await buildah.from(archive, name);
  const root = await buildah.mount(name);
  return {
    name,
    root,
    config,
    run(argv, opts = {}) {
      // --cap-drop all would also drop what --cap-add asks for (buildah 1.28), hence the list.
      const caps = opts.capsOnly
        ? [
            "--cap-drop",
            BUILDAH_DEFAULT_CAPS.join(","),
            ...opts.capsOnly.flatMap((c) => ["--cap-add", c]),
          ]
        : [];
      const cmd = buildah.argv(
        "run",
        "--isolation",
        "chroot",
        ...(opts.user ? ["--user", opts.user] : []),
        ...caps,
        name,
        "--",
        ...argv,
      );
      // chroot isolation stays in the caller's network namespace.
      return run(opts.netns ? ["ip", "netns", "exec", opts.netns, ...cmd] : cmd, {
        timeoutMs: 120_000,
      });
    },
    remove: () => buildah.rm(name),
  };
}

/**
 * Mounts the container's root read-only in a mount namespace of its own (plus /proc, a minimal
 * /dev and `bind` read-only at `bindAt`) and runs `argv` there as `user`. This is what a kubelet
 * does for `readOnlyRootFilesystem: true`; `buildah run` cannot, as it writes /run/.containerenv
 * into the root. The returned process is the command itself (every step execs), so stopping it
 * by PID stops the command, and the namespace goes with it.
 */
export function startReadOnly(opts: {
  name: string;
  root: string;
  user: string;
  /** The process's whole environment (a container's is the image's Env, not the host's). */
  env: string[];
  bind: string;
  bindAt: string;
  argv: string[];
  logFile: string;
}): Managed {
  const script = [
    "set -eu",
    "root=$1 user=$2 src=$3 dst=$4 env=$5; shift 5",
    'mount --bind "$root" "$root"',
    'mount -o remount,bind,ro "$root"',
    'mount -t proc proc "$root/proc"',
    'mount -t tmpfs -o mode=0755,size=64k tmpfs "$root/dev"',
    'for d in null zero full random urandom; do : >"$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done',
    'ln -s /proc/self/fd "$root/dev/fd"',
    'mount --bind "$src" "$root$dst"',
    'mount -o remount,bind,ro "$root$dst"',
    // $env is the environment, one NAME=value per line; -i drops the host's.
    'IFS="\n"; set -f',
    'exec env -i $env chroot --userspec="$user" --groups="${user#*:}" "$root" "$@"',
  ].join("\n");
  return startProcess(
    opts.name,
    [
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      script,
      "sh",
      opts.root,
      opts.user,
      opts.bind,
      opts.bindAt,
      opts.env.join("\n"),
      ...opts.argv,
    ],
    opts.logFile,
  );
}
