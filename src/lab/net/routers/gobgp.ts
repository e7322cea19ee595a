// GoBGP (gobgpd from Debian) in a lab namespace, configured by TOML, read with `gobgp -j`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { systemTool } from "../../../sys/tools.js";
import { waitFor } from "../../../sys/proc.js";
import type { Lab } from "../lab.js";
import { familiesOf, familyOf, rejectUnsupported } from "./router.js";
import type { BgpRouter, BgpRouterSpec, RibPath } from "./router.js";

export function gobgpConfig(spec: BgpRouterSpec): string {
  const out = ["[global.config]", `  as = ${spec.asn}`, `  router-id = "${spec.routerId}"`];
  for (const n of spec.neighbors) {
    out.push(
      "[[neighbors]]",
      "  [neighbors.config]",
      `    neighbor-address = "${n.address}"`,
      `    peer-as = ${n.asn}`,
    );
    if (n.password) out.push(`    auth-password = "${n.password}"`);
    if (n.passive) out.push("  [neighbors.transport.config]", "    passive-mode = true");
    out.push("  [neighbors.timers.config]", "    connect-retry = 2");
    if (n.holdTime !== undefined) {
      out.push(
        `    hold-time = ${n.holdTime}`,
        `    keepalive-interval = ${Math.max(1, Math.floor(n.holdTime / 3))}`,
      );
    }
    for (const f of familiesOf(n)) {
      out.push(
        "  [[neighbors.afi-safis]]",
        "    [neighbors.afi-safis.config]",
        `      afi-safi-name = "ipv${f}-unicast"`,
      );
    }
  }
  return out.join("\n") + "\n";
}

interface GobgpAttr {
  type: number;
  value?: unknown;
  nexthop?: string;
  as_paths?: { asns?: number[] }[];
  communities?: number[];
}

interface GobgpPath {
  best?: boolean;
  attrs?: GobgpAttr[];
}

export function parseGobgpRib(json: Record<string, GobgpPath[]>): RibPath[] {
  return Object.entries(json).flatMap(([prefix, paths]) =>
    paths.map((p) => {
      const attrs = p.attrs ?? [];
      const get = (type: number) => attrs.find((a) => a.type === type);
      const large =
        (get(32)?.value as { ASN: number; LocalData1: number; LocalData2: number }[] | undefined) ??
        [];
      const localPref = get(5)?.value;
      return {
        prefix,
        nextHop: get(3)?.nexthop ?? get(14)?.nexthop ?? "",
        asPath: (get(2)?.as_paths ?? []).flatMap((s) => s.asns ?? []),
        ...(typeof localPref === "number" ? { localPref } : {}),
        communities: (get(8)?.communities ?? []).map((c) => `${c >>> 16}:${c & 0xffff}`),
        largeCommunities: large.map((l) => `${l.ASN}:${l.LocalData1}:${l.LocalData2}`),
        best: p.best === true,
      };
    }),
  );
}

export interface GobgpRouter extends BgpRouter {
  /** Originates a prefix with attributes (communities "AS:value", large "g:l1:l2"). */
  announce(
    prefix: string,
    attrs?: { communities?: string[]; largeCommunities?: string[] },
  ): Promise<void>;
  withdraw(prefix: string): Promise<void>;
  /** Raw `gobgp` CLI inside the router's namespace. */
  cli(args: string[]): Promise<string>;
}

export async function startGobgp(lab: Lab, spec: BgpRouterSpec): Promise<GobgpRouter> {
  rejectUnsupported("gobgp", spec);
  const conf = join(lab.dir, `gobgp-${spec.host}.toml`);
  writeFileSync(conf, gobgpConfig(spec));
  const proc = lab.spawn(spec.host, `gobgpd-${spec.host}`, [
    systemTool("gobgpd"),
    "-f",
    conf,
    "-t",
    "toml",
    "--api-hosts",
    "127.0.0.1:50051",
  ]);
  const cli = async (args: string[]) =>
    lab.exec(spec.host, [systemTool("gobgp"), "-u", "127.0.0.1", "-p", "50051", ...args]);
  await waitFor(
    `gobgpd API in ${spec.host}`,
    async () => ((await cli(["global"])) ? true : undefined),
    20_000,
  );
  const announce: GobgpRouter["announce"] = async (prefix, attrs = {}) => {
    const extra = [
      ...(attrs.communities?.length ? ["community", attrs.communities.join(",")] : []),
      ...(attrs.largeCommunities?.length
        ? ["large-community", attrs.largeCommunities.join(",")]
        : []),
    ];
    await cli(["global", "rib", "add", prefix, ...extra, "-a", `ipv${familyOf(prefix)}`]);
  };
  for (const p of spec.originate ?? []) await announce(p);
  return {
    kind: "gobgp",
    host: spec.host,
    cli,
    announce,
    async withdraw(prefix) {
      await cli(["global", "rib", "del", prefix, "-a", `ipv${familyOf(prefix)}`]);
    },
    async rib(family) {
      return parseGobgpRib(
        JSON.parse(await cli(["global", "rib", "-a", `ipv${family}`, "-j"])) as Record<
          string,
          GobgpPath[]
        >,
      );
    },
    async sessions() {
      const list = JSON.parse(await cli(["neighbor", "-j"])) as {
        conf?: { neighbor_address?: string; "neighbor-address"?: string };
        state?: Record<string, unknown>;
      }[];
      const out: Record<string, string> = {};
      for (const n of list) {
        const addr = n.conf?.neighbor_address ?? n.conf?.["neighbor-address"] ?? "?";
        const state = n.state?.session_state ?? n.state?.["session-state"];
        // GoBGP's API enum: 6 is ESTABLISHED; older CLIs print the name.
        out[addr] =
          state === 6 || state === "established"
            ? "Established"
            : JSON.stringify(state ?? "unknown");
      }
      return out;
    },
    stop: () => proc.stop(),
  };
}
