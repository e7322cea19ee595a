// FRR (zebra + bgpd from Debian) in a lab namespace, configured from a file, read with vtysh JSON.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, waitFor } from "../../../sys/proc.js";
import { systemTool } from "../../../sys/tools.js";
import type { Lab } from "../lab.js";
import {
  familiesOf,
  familyOf,
  type BgpRouter,
  type BgpRouterSpec,
  type RibPath,
} from "./router.js";

const FRR_LIBEXEC = ["/usr/lib/frr"];

export function frrBgpdConfig(spec: BgpRouterSpec, logFile: string): string {
  const lines = [
    `hostname ${spec.host}`,
    `log file ${logFile}`,
    "!",
    `router bgp ${spec.asn}`,
    ` bgp router-id ${spec.routerId}`,
    " no bgp ebgp-requires-policy",
    " no bgp network import-check",
    " no bgp default ipv4-unicast",
  ];
  for (const n of spec.neighbors) {
    lines.push(` neighbor ${n.address} remote-as ${n.asn}`);
    if (n.password) lines.push(` neighbor ${n.address} password ${n.password}`);
    if (n.passive) lines.push(` neighbor ${n.address} passive`);
    if (n.holdTime !== undefined) {
      lines.push(
        ` neighbor ${n.address} timers ${Math.max(1, Math.floor(n.holdTime / 3))} ${n.holdTime}`,
      );
    }
    lines.push(` neighbor ${n.address} timers connect 2`);
    if (n.ebgpMultihop !== undefined)
      lines.push(` neighbor ${n.address} ebgp-multihop ${n.ebgpMultihop}`);
    if (n.bfd) lines.push(` neighbor ${n.address} bfd profile lab`);
  }
  for (const family of [4, 6] as const) {
    lines.push(` address-family ipv${family} unicast`);
    for (const p of spec.originate ?? []) if (familyOf(p) === family) lines.push(`  network ${p}`);
    for (const n of spec.neighbors) {
      if (familiesOf(n).includes(family)) lines.push(`  neighbor ${n.address} activate`);
    }
    if (spec.maximumPaths !== undefined) {
      lines.push(
        `  maximum-paths ${spec.maximumPaths}`,
        `  maximum-paths ibgp ${spec.maximumPaths}`,
      );
    }
    lines.push(" exit-address-family");
  }
  lines.push("!", "");
  return lines.join("\n");
}

/** bfdd's file: the profile the neighbors with `bfd` name (bgpd hands the name to bfdd). */
export function frrBfddConfig(spec: BgpRouterSpec): string {
  const t = spec.bfd ?? { intervalMs: 300, multiplier: 3 };
  return [
    "bfd",
    " profile lab",
    `  detect-multiplier ${t.multiplier}`,
    `  receive-interval ${t.intervalMs}`,
    `  transmit-interval ${t.intervalMs}`,
    " exit",
    "exit",
    "",
  ].join("\n");
}

interface FrrPath {
  valid?: boolean;
  bestpath?: { overall?: boolean };
  aspath?: { segments?: { list?: number[] }[] };
  nexthops?: { ip?: string; afi?: string; scope?: string }[];
  locPrf?: number;
  community?: { list?: string[] };
  largeCommunity?: { list?: string[] };
  stale?: boolean;
  multipath?: boolean;
}

/** FRR prints well-known communities (RFC 1997, 7999, 8326, …) by name; the lab compares numbers. */
const WELL_KNOWN: Record<string, string> = {
  gracefulShutdown: "65535:0",
  acceptOwn: "65535:1",
  blackhole: "65535:666",
  noExport: "65535:65281",
  noAdvertise: "65535:65282",
  noExportSubconfed: "65535:65283",
  localAs: "65535:65283",
  noPeer: "65535:65284",
};

export function parseFrrRoute(prefix: string, paths: FrrPath[]): RibPath[] {
  return paths
    .filter((p) => p.valid !== false)
    .map((p) => ({
      prefix,
      nextHop: p.nexthops?.find((n) => n.scope !== "link-local")?.ip ?? p.nexthops?.[0]?.ip ?? "",
      asPath: (p.aspath?.segments ?? []).flatMap((s) => s.list ?? []),
      ...(p.locPrf !== undefined ? { localPref: p.locPrf } : {}),
      communities: (p.community?.list ?? []).map((c) => WELL_KNOWN[c] ?? c),
      largeCommunities: p.largeCommunity?.list ?? [],
      best: p.bestpath?.overall === true,
      ...(p.stale ? { stale: true } : {}),
    }));
}

export interface FrrRouter extends BgpRouter {
  /** Raw vtysh: each command is one `-c` (e.g. "configure terminal", "router bgp 64512", …). */
  vtysh(commands: string[]): Promise<string>;
  /** BFD peers by address: FRR's status ("up", "down", …). */
  bfdPeers(): Promise<Record<string, string>>;
  /** Why each neighbor's session last went down, in FRR's words (by address). */
  lastResets(): Promise<Record<string, string>>;
}

export async function startFrr(lab: Lab, spec: BgpRouterSpec): Promise<FrrRouter> {
  const dir = join(lab.dir, `frr-${spec.host}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "zebra.conf"), `hostname ${spec.host}\n`);
  writeFileSync(join(dir, "bgpd.conf"), frrBgpdConfig(spec, join(dir, "bgpd.log")));
  const withBfd = spec.neighbors.some((n) => n.bfd);
  if (withBfd) writeFileSync(join(dir, "bfdd.conf"), frrBfddConfig(spec));
  // FRR drops to its own user (root is not in its vty group), so it must own its directory.
  await run(["chown", "-R", "frr:frr", dir]);
  const common = ["--vty_socket", dir, "-z", join(dir, "zserv.api")];
  const daemon = (name: string) => [
    systemTool(name, FRR_LIBEXEC),
    ...common,
    ...(name === "bgpd" && spec.listenPort !== undefined ? ["-p", String(spec.listenPort)] : []),
    "-i",
    join(dir, `${name}.pid`),
    "-f",
    join(dir, `${name}.conf`),
  ];
  const vtyshText = (cmd: string, only?: string): Promise<string> =>
    run([systemTool("vtysh"), "--vty_socket", dir, ...(only ? ["-d", only] : []), "-c", cmd]);
  const vtysh = async (cmd: string, only?: string): Promise<unknown> =>
    JSON.parse(await vtyshText(cmd, only)) as unknown;
  // A restarted FRR finds its predecessor's sockets; they must not answer for the new daemons.
  for (const f of ["zebra.vty", "bgpd.vty", "bfdd.vty", "zserv.api"])
    rmSync(join(dir, f), { force: true });
  // bgpd must find zebra ready: without zebra's interface data it rejects link-local next hops
  // of sessions that come up meanwhile, for good.
  const procs = [lab.spawn(spec.host, `frr-zebra-${spec.host}`, daemon("zebra"))];
  await waitFor(`zebra in ${spec.host}`, () => vtysh("show interface json", "zebra"), 20_000);
  // bfdd before bgpd, so the sessions find BFD when they first come up.
  if (withBfd) {
    procs.push(lab.spawn(spec.host, `frr-bfdd-${spec.host}`, daemon("bfdd")));
    await waitFor(`bfdd in ${spec.host}`, () => vtysh("show bfd peers json", "bfdd"), 20_000);
  }
  procs.push(lab.spawn(spec.host, `frr-bgpd-${spec.host}`, daemon("bgpd")));
  await waitFor(`bgpd in ${spec.host}`, () => vtysh("show bgp summary json", "bgpd"), 20_000);
  return {
    kind: "frr",
    host: spec.host,
    vtysh: (commands) =>
      run([systemTool("vtysh"), "--vty_socket", dir, ...commands.flatMap((c) => ["-c", c])]),
    async rib(family) {
      const afi = family === 4 ? "ipv4" : "ipv6";
      // One call for the whole table: each prefix maps to a header object, then its paths.
      const table = (await vtysh(`show bgp ${afi} unicast json detail`)) as {
        routes?: Record<string, (FrrPath & { nexthops?: unknown })[]>;
      };
      return Object.entries(table.routes ?? {}).flatMap(([prefix, entries]) =>
        parseFrrRoute(
          prefix,
          entries.filter((e) => e.nexthops !== undefined),
        ),
      );
    },
    async softResetIn(neighbor) {
      await vtyshText(`clear bgp ${neighbor} soft in`);
    },
    async bfdPeers() {
      const list = (await vtysh("show bfd peers json", "bfdd")) as {
        peer?: string;
        status?: string;
      }[];
      return Object.fromEntries(list.map((p) => [p.peer ?? "", p.status ?? "unknown"]));
    },
    async lastResets() {
      const all = (await vtysh("show bgp neighbors json")) as Record<
        string,
        { lastResetDueTo?: string; lastNotificationReason?: string }
      >;
      // The NOTIFICATION (e.g. "Cease/BFD Down") says more than "BGP Notification send".
      return Object.fromEntries(
        Object.entries(all).map(([a, n]) => [
          a,
          [n.lastNotificationReason, n.lastResetDueTo].filter(Boolean).join(": "),
        ]),
      );
    },
    async sessions() {
      const out: Record<string, string> = {};
      const summary = (await vtysh("show bgp neighbors json")) as Record<
        string,
        { bgpState?: string }
      >;
      for (const [addr, n] of Object.entries(summary)) out[addr] = n.bgpState ?? "unknown";
      return out;
    },
    async stop() {
      for (const p of procs.reverse()) await p.stop();
    },
  };
}
