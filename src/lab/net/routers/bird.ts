// BIRD 2 in a lab namespace; its RIB is read from `birdc show route all` (BIRD has no JSON).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, waitFor } from "../../../sys/proc.js";
import { systemTool } from "../../../sys/tools.js";
import type { Lab } from "../lab.js";
import { familiesOf, familyOf, rejectUnsupported } from "./router.js";
import type { BgpRouter, BgpRouterSpec, RibPath } from "./router.js";

export function birdConfig(spec: BgpRouterSpec, logFile: string): string {
  const out = [`router id ${spec.routerId};`, `log "${logFile}" all;`, "protocol device { }"];
  if (spec.neighbors.some((n) => n.bfd)) {
    const t = spec.bfd ?? { intervalMs: 300, multiplier: 3 };
    out.push(
      "protocol bfd {",
      `  interface "*" { min rx interval ${t.intervalMs} ms; min tx interval ${t.intervalMs} ms; multiplier ${t.multiplier}; };`,
      "}",
    );
  }
  for (const family of [4, 6] as const) {
    const routes = (spec.originate ?? []).filter((p) => familyOf(p) === family);
    if (routes.length) {
      out.push(`protocol static origin${family} {`, `  ipv${family};`);
      for (const p of routes) out.push(`  route ${p} blackhole;`);
      out.push("}");
    }
  }
  spec.neighbors.forEach((n, i) => {
    out.push(
      `protocol bgp n${i} {`,
      `  local as ${spec.asn};`,
      `  neighbor ${n.address} as ${n.asn};`,
    );
    // BIRD waits 60s+ after a failed attempt by default; a lab wants quick convergence.
    out.push("  connect retry time 2;", "  start delay time 1;", "  error wait time 1, 5;");
    if (n.password) out.push(`  password "${n.password}";`);
    if (n.passive) out.push("  passive on;");
    if (n.holdTime !== undefined) out.push(`  hold time ${n.holdTime};`);
    if (n.bfd) out.push("  bfd on;");
    // A directly connected iBGP neighbour: its next hops resolve on the link, with no IGP.
    if (n.asn === spec.asn) out.push("  direct;");
    for (const f of familiesOf(n)) out.push(`  ipv${f} { import all; export all; };`);
    out.push("}");
  });
  return out.join("\n") + "\n";
}

/** Parses `show route all` output into paths. */
export function parseBirdRoutes(text: string): RibPath[] {
  const paths: RibPath[] = [];
  let prefix = "";
  let current: RibPath | undefined;
  for (const line of text.split("\n")) {
    const head = /^(\S+)?\s+\w+ \[\S+ [^\]]*\] (\*)?/.exec(line);
    if (head && /\s(unicast|blackhole|unreachable) \[/.test(line)) {
      if (head[1]) prefix = head[1];
      current = {
        prefix,
        nextHop: "",
        asPath: [],
        communities: [],
        largeCommunities: [],
        best: head[2] === "*",
      };
      paths.push(current);
      continue;
    }
    if (!current) continue;
    const attr = /^\s+BGP\.(\w+): (.*)$/.exec(line);
    if (!attr) continue;
    const [, key, value = ""] = attr;
    if (key === "as_path")
      current.asPath = value
        .split(/\s+/)
        .filter((x) => /^\d+$/.test(x))
        .map(Number);
    if (key === "next_hop") current.nextHop = value.split(/\s+/)[0] ?? "";
    if (key === "local_pref") current.localPref = Number(value);
    if (key === "community")
      current.communities = [...value.matchAll(/\((\d+),(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}`);
    if (key === "large_community") {
      current.largeCommunities = [...value.matchAll(/\((\d+), (\d+), (\d+)\)/g)].map(
        (m) => `${m[1]}:${m[2]}:${m[3]}`,
      );
    }
  }
  return paths;
}

export async function startBird(lab: Lab, spec: BgpRouterSpec): Promise<BgpRouter> {
  rejectUnsupported("bird", spec);
  const conf = join(lab.dir, `bird-${spec.host}.conf`);
  const sock = join(lab.dir, `bird-${spec.host}.ctl`);
  writeFileSync(conf, birdConfig(spec, join(lab.dir, `bird-${spec.host}.daemon.log`)));
  const proc = lab.spawn(spec.host, `bird-${spec.host}`, [
    systemTool("bird"),
    "-f",
    "-c",
    conf,
    "-s",
    sock,
  ]);
  const birdc = (cmd: string) => run([systemTool("birdc"), "-s", sock, ...cmd.split(" ")]);
  await waitFor(
    `bird control socket in ${spec.host}`,
    async () => ((await birdc("show status")) ? true : undefined),
    20_000,
  );
  return {
    kind: "bird",
    host: spec.host,
    async rib(family) {
      const bgpOnly = (await birdc(`show route all table master${family}`)).split("\n");
      return parseBirdRoutes(bgpOnly.join("\n")).filter((p) => p.nextHop !== "");
    },
    async softResetIn(neighbor) {
      const i = spec.neighbors.findIndex((n) => n.address === neighbor);
      if (i < 0) throw new Error(`bird in ${spec.host} has no neighbor ${neighbor}`);
      await birdc(`reload in n${i}`);
    },
    async sessions() {
      const out: Record<string, string> = {};
      const text = await birdc("show protocols");
      spec.neighbors.forEach((n, i) => {
        const line = text.split("\n").find((l) => l.startsWith(`n${i} `));
        out[n.address] = line?.trim().split(/\s+/).slice(5).join(" ") || "unknown";
      });
      return out;
    },
    stop: () => proc.stop(),
  };
}
