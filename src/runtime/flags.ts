// The runtime commands' flags, in one table: each command's usage text, defaults and checks come
// from here, so `--help`, the error for a bad value and the chart's arguments cannot disagree.
import { parseArgs } from "node:util";
import { DEFAULT_PORTS } from "../api/ports.js";
import { isLogLevel } from "./log.js";

export interface FlagSpec {
  name: string;
  /** Placeholder in the usage text; absent for a boolean flag. */
  value?: string;
  default?: string;
  help: string;
  /** Why the text is not acceptable, or undefined. */
  check?: (text: string) => string | undefined;
}

export interface CommandSpec {
  name: "controller" | "speaker";
  summary: string;
  flags: FlagSpec[];
}

/** A TCP or UDP port; `off`: 0 turns the listener off. */
const port = (name: string, dflt: number, what: string, off = true): FlagSpec => {
  const min = off ? 0 : 1;
  return {
    name,
    value: "N",
    default: String(dflt),
    help: off ? `${what} (0 turns it off)` : what,
    check: (t) =>
      /^\d+$/.test(t) && Number(t) >= min && Number(t) <= 65535
        ? undefined
        : `must be a port ${min}-65535`,
  };
};

/** `what`: "whole seconds", "a whole number", … */
const wholeAtLeast = (min: number, what: string) => (t: string) =>
  /^\d+$/.test(t) && Number(t) >= min ? undefined : `must be ${what} >= ${min}`;

/** The flags both commands take. */
const COMMON: FlagSpec[] = [
  {
    name: "kubeconfig",
    value: "PATH",
    help: "kubeconfig file (default: in-cluster, then $KUBECONFIG)",
  },
  {
    name: "namespace",
    value: "NS",
    default: "metallb-system",
    help: "where the configuration lives",
  },
  { name: "lb-class", value: "NAME", help: "serve only Services with this loadBalancerClass" },
  {
    name: "log-level",
    value: "LEVEL",
    default: "info",
    help: "debug|info|warn|error",
    check: (t) => (isLogLevel(t) ? undefined : "must be debug, info, warn or error"),
  },
  {
    name: "metrics-insecure",
    help:
      "serve /metrics over plain HTTP to anyone who reaches the port (default: HTTPS, and only " +
      "callers the API server authorizes to get /metrics)",
  },
  {
    name: "metrics-tls-cert-file",
    value: "PATH",
    help: "certificate (PEM) /metrics serves (default: a self-signed one made at start)",
  },
  { name: "metrics-tls-key-file", value: "PATH", help: "its private key (PEM)" },
];

export const CONTROLLER: CommandSpec = {
  name: "controller",
  summary: "assign LoadBalancer IPs from IPAddressPools",
  flags: [
    ...COMMON,
    {
      name: "lease-duration",
      value: "S",
      default: "15",
      help: "leader Lease duration in seconds",
      check: wholeAtLeast(1, "whole seconds"),
    },
    {
      name: "identity",
      value: "ID",
      help: "leader election identity (default $POD_NAME or host-pid)",
    },
    port("metrics-port", DEFAULT_PORTS.controllerMetrics, "Prometheus /metrics"),
    port("health-port", DEFAULT_PORTS.controllerHealth, "/healthz and /readyz"),
    {
      name: "heartbeat-secret",
      value: "NAME",
      help: "create this Secret with a random speaker heartbeat key if it does not exist",
      check: (t) =>
        /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(t)
          ? undefined
          : "must be a Secret name (lower case letters, digits, '-', '.')",
    },
  ],
};

export const SPEAKER: CommandSpec = {
  name: "speaker",
  summary: "announce LoadBalancer IPs from this node (ARP/NDP and BGP)",
  flags: [
    { name: "node-name", value: "NAME", help: "this node (default $NODE_NAME)" },
    ...COMMON,
    port("metrics-port", DEFAULT_PORTS.speakerMetrics, "Prometheus /metrics"),
    port("health-port", DEFAULT_PORTS.speakerHealth, "/healthz and /readyz"),
    {
      name: "lease-duration",
      value: "S",
      default: "10",
      help: "speaker Lease duration in seconds",
      check: wholeAtLeast(1, "whole seconds"),
    },
    {
      name: "heartbeat-key-file",
      value: "PATH",
      help: "shared key: heartbeats between speakers (off without)",
    },
    port("heartbeat-port", DEFAULT_PORTS.heartbeat, "UDP port of the heartbeats", false),
    {
      name: "heartbeat-address",
      value: "IP",
      help: "address other speakers reach this one at (default $HOST_IP)",
    },
    {
      name: "heartbeat-interval",
      value: "MS",
      default: "100",
      help: "milliseconds between heartbeats",
      check: wholeAtLeast(10, "whole milliseconds"),
    },
    {
      name: "heartbeat-missed",
      value: "N",
      default: "5",
      help:
        "intervals without a heartbeat before a peer is dead (500 ms at the default " +
        "interval; raise it on nodes whose CPU is often saturated)",
      check: wholeAtLeast(2, "a whole number"),
    },
    { name: "no-probe", help: "do not probe new addresses for a foreign owner first" },
    {
      name: "bgp-backend",
      value: "native|frr",
      default: "native",
      help: "who speaks BGP: the built-in speaker, or FRR beside it (BFD, VRFs)",
      check: (t) => (t === "native" || t === "frr" ? undefined : "must be native or frr"),
    },
    {
      name: "frr-agent-socket",
      value: "PATH",
      default: "/var/run/frr-agent/agent.sock",
      help: "the FRR agent's socket (frr backend)",
    },
    {
      name: "frr-reload-debounce",
      value: "MS",
      default: "100",
      help: "quiet milliseconds before changes are applied to FRR, so a burst is one reload",
      check: wholeAtLeast(0, "whole milliseconds"),
    },
  ],
};

/** The command's usage: one line per flag, with its default. */
export function usageOf(c: CommandSpec): string {
  const left = (f: FlagSpec) => `--${f.name}${f.value ? ` ${f.value}` : ""}`;
  const width = Math.max(...c.flags.map((f) => left(f).length));
  const lines = c.flags.map(
    (f) =>
      `  ${left(f).padEnd(width)}  ${f.help}${f.default !== undefined ? ` (default ${f.default})` : ""}`,
  );
  return `usage: metallb-ts ${c.name} [flags]\n\n${c.summary}\n\nflags:\n${lines.join("\n")}\n  --help${" ".repeat(Math.max(0, width - 6))}  print this text\n`;
}

export type FlagValues = Record<string, string | boolean | undefined>;

export type Parsed = { ok: true; values: FlagValues } | { ok: false; exitCode: number };

/**
 * Parses and checks a command's flags. `--help` prints the usage (exit 0); an unknown flag or a
 * bad value names the flag and what it accepts (exit 2).
 */
export function parseFlags(
  c: CommandSpec,
  args: string[],
  out: (text: string) => void,
  err: (text: string) => void,
): Parsed {
  if (args.includes("--help") || args.includes("-h")) {
    out(usageOf(c));
    return { ok: false, exitCode: 0 };
  }
  let values: FlagValues;
  try {
    values = parseArgs({
      args,
      options: Object.fromEntries(
        c.flags.map((f) => [
          f.name,
          f.value
            ? {
                type: "string" as const,
                ...(f.default !== undefined ? { default: f.default } : {}),
              }
            : { type: "boolean" as const, default: false },
        ]),
      ),
    }).values;
  } catch (e) {
    err(`metallb-ts ${c.name}: ${(e as Error).message}\n${usageOf(c)}`);
    return { ok: false, exitCode: 2 };
  }
  for (const f of c.flags) {
    const v = values[f.name];
    const problem = typeof v === "string" ? f.check?.(v) : undefined;
    if (problem) {
      err(`metallb-ts ${c.name}: --${f.name} ${problem}, not "${String(v)}"\n`);
      return { ok: false, exitCode: 2 };
    }
  }
  return { ok: true, values };
}

/** A string flag's value (after parseFlags, defaults filled in). */
export const str = (values: FlagValues, name: string): string | undefined => {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
};
