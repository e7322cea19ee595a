// The FRR configuration of one node (pure): from the same desired state the native BGP driver
// gets — the peers, each peer's routes with their attributes, the BFD profiles — one complete
// frr.conf. Written in the form FRR itself prints (`show running-config`), so that applying the
// same configuration twice is no change to frr-reload.py; only checked words reach the text
// (words.ts), so no user value can add a line.
import { parseCommunity, parseLargeCommunity } from "../../../api/formats/community.js";
import { problem, type BfdProfile, type Peer, type Problem } from "../../../model/index.js";
import { md5Key, routerIdFor, type PeerContext } from "../bgp-peer-config.js";
import type { DesiredRoute } from "../desired-routes.js";
import { frrName, frrPassword } from "./words.js";

export interface FrrInput {
  node: { name: string; ipv4?: string };
  /** Every BGPPeer of the configuration (those of this node are the keys of `routes`). */
  peers: readonly Peer[];
  routes: ReadonlyMap<string, readonly DesiredRoute[]>;
  bfdProfiles: ReadonlyMap<string, BfdProfile>;
  ctx: PeerContext;
}

/** A session FRR is told to run, for reading its state back. */
export interface FrrSession {
  /** The BGPPeer's name. */
  peer: string;
  /** The neighbor as FRR names it: the address, or the interface of an unnumbered session. */
  neighbor: string;
  /** "default" or the VRF's name, as FRR's JSON names it. */
  vrf: string;
  bfd: boolean;
}

export interface FrrConfig {
  text: string;
  sessions: FrrSession[];
  problems: Problem[];
}

/** Communities FRR prints by name (RFC 1997, 7999, 8326); the rest it prints as AS:value. */
const WELL_KNOWN = new Map<number, string>([
  [0xffff0000, "graceful-shutdown"],
  [0xffff029a, "blackhole"],
  [0xffffff01, "no-export"],
  [0xffffff02, "no-advertise"],
  [0xffffff03, "local-AS"],
  [0xffffff04, "no-peer"],
]);

/** FRR's BFD defaults: a value equal to one is not printed, so it is not written either. */
const BFD_DEFAULT = { intervalMs: 300, multiplier: 3, echoMs: 50, minimumTtl: 254 };

/** The route-map that refuses every route a peer sends: the speaker learns nothing. */
const DENY_IN = "mlb-deny-in";

/** A name for FRR objects (route-maps, prefix-lists) derived from a BGPPeer's, stable across runs. */
function objectName(peer: string): string {
  if (/^[a-z0-9][a-z0-9.-]{0,40}$/.test(peer)) return `mlb-${peer}`;
  const slug = peer.replace(/[^a-z0-9.-]/g, "-").slice(0, 30);
  return `mlb-${slug}-${fnv(peer).toString(16)}`;
}

function communityText(list: readonly string[]): string {
  return list
    .map((c) => parseCommunity(c))
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b)
    .map((v) => WELL_KNOWN.get(v) ?? `${Math.floor(v / 0x10000)}:${v & 0xffff}`)
    .join(" ");
}

function largeCommunityText(list: readonly string[]): string {
  return list
    .map((c) => parseLargeCommunity(c))
    .filter((v) => v !== undefined)
    .sort((a, b) => a.global - b.global || a.local1 - b.local1 || a.local2 - b.local2)
    .map((v) => `${v.global}:${v.local1}:${v.local2}`)
    .join(" ");
}

interface PeerPlan {
  peer: Peer;
  neighbor: string;
  vrf: string;
  asn: number;
  routerId: string;
  families: (4 | 6)[];
  lines: string[];
  bfdProfile?: string;
  routes: readonly DesiredRoute[];
}

/** The neighbor's own lines under `router bgp`, or the problems that keep it out. */
function planPeer(input: FrrInput, peer: Peer): { plan?: PeerPlan; problems: Problem[] } {
  const s = peer.spec;
  const problems: Problem[] = [];
  const refuse = (field: string[], message: string, fix: string) =>
    problems.push(
      problem("BGPPeer", peer.name, field.length ? ["spec", ...field] : [], message, fix),
    );

  let neighbor = s.peerAddress;
  let interfaceName: string | undefined;
  if (!neighbor && s.interface) {
    const n = frrName(s.interface, 15);
    if (!n.ok) refuse(["interface"], `interface ${n.reason}`, "name the node's interface");
    else interfaceName = neighbor = n.value;
  }
  if (!neighbor) {
    if (!problems.length) refuse(["peerAddress"], "peerAddress is required", "set peerAddress");
    return { problems };
  }
  let vrf = "default";
  // "default" is how FRR (and upstream) name the VRF of a session without one.
  if (s.vrf && s.vrf !== "default") {
    const v = frrName(s.vrf, 15);
    if (!v.ok) refuse(["vrf"], `vrf ${v.reason}`, "name a VRF device of the node");
    else vrf = v.value;
  }
  let bfdProfile: string | undefined;
  if (s.bfdProfile && input.bfdProfiles.has(s.bfdProfile)) {
    const b = frrName(s.bfdProfile, 64);
    if (!b.ok) refuse(["bfdProfile"], `bfdProfile ${b.reason}`, "rename the BFDProfile");
    else bfdProfile = b.value;
  }
  const md5 = md5Key(peer, input.ctx);
  let password: string | undefined;
  // An empty problem: the model has already said why the key cannot be had.
  if (md5.problem) refuse([], md5.problem, "");
  else if (md5.key !== undefined) {
    const p = frrPassword(md5.key);
    if (!p.ok)
      refuse(
        [s.password !== undefined ? "password" : "passwordSecret"],
        `the TCP MD5 key is refused: ${p.reason}`,
        "use a key of printable ASCII characters without blanks (at most 80)",
      );
    else password = p.value;
  }
  // A session without its key, its VRF or its profile would run as something the user did not
  // ask for; none is better (the problems say why).
  if (problems.length || md5.problem !== undefined) return { problems };

  const n = interfaceName ? `${interfaceName} interface` : neighbor;
  const lines: string[] = [];
  const remote =
    s.peerASN !== undefined
      ? String(s.peerASN)
      : s.dynamicASN === "internal"
        ? "internal"
        : "external";
  lines.push(`neighbor ${n} remote-as ${remote}`);
  if (bfdProfile)
    lines.push(`neighbor ${neighbor} bfd`, `neighbor ${neighbor} bfd profile ${bfdProfile}`);
  if (peer.ebgp && s.ebgpMultiHop) lines.push(`neighbor ${neighbor} ebgp-multihop`);
  if (password !== undefined) lines.push(`neighbor ${neighbor} password ${password}`);
  if (s.peerPort !== undefined && s.peerPort !== 179)
    lines.push(`neighbor ${neighbor} port ${s.peerPort}`);
  if (peer.holdTimeSeconds !== undefined || peer.keepaliveTimeSeconds !== undefined) {
    const hold = peer.holdTimeSeconds ?? 90;
    const keepalive = peer.keepaliveTimeSeconds ?? Math.floor(hold / 3);
    lines.push(`neighbor ${neighbor} timers ${keepalive} ${hold}`);
  }
  if (peer.connectTimeSeconds !== undefined)
    lines.push(`neighbor ${neighbor} timers connect ${peer.connectTimeSeconds}`);
  if (s.sourceAddress) lines.push(`neighbor ${neighbor} update-source ${s.sourceAddress}`);
  if (s.enableGracefulRestart) lines.push(`neighbor ${neighbor} graceful-restart`);
  const family = peer.address?.family;
  return {
    plan: {
      peer,
      neighbor,
      vrf,
      asn: s.myASN,
      routerId: routerIdFor(s, input.node),
      // MP-BGP carries both families over one session, as the native speaker does; disableMP
      // (deprecated) keeps a session to its own address's family.
      families: s.disableMP && family ? [family] : [4, 6],
      lines,
      ...(bfdProfile ? { bfdProfile } : {}),
      routes: input.routes.get(peer.name) ?? [],
    },
    problems,
  };
}

/** One BGP instance per VRF: its peers must agree on the AS and router ID FRR runs it with. */
function instances(plans: PeerPlan[], problems: Problem[]): Map<string, PeerPlan[]> {
  const byVrf = new Map<string, PeerPlan[]>();
  for (const p of plans) {
    const group = byVrf.get(p.vrf) ?? [];
    const first = group[0];
    const where = p.vrf === "default" ? "the default VRF" : `VRF ${p.vrf}`;
    if (first && first.asn !== p.asn) {
      problems.push(
        problem(
          "BGPPeer",
          p.peer.name,
          ["spec", "myASN"],
          `myASN ${p.asn} differs from ${first.asn} of BGPPeer ${first.peer.name} in ${where}; FRR runs one BGP instance per VRF`,
          `use myASN ${first.asn}, or put the peer in another VRF`,
        ),
      );
      continue;
    }
    if (first && first.routerId !== p.routerId) {
      problems.push(
        problem(
          "BGPPeer",
          p.peer.name,
          ["spec", "routerID"],
          `router ID ${p.routerId} differs from ${first.routerId} of BGPPeer ${first.peer.name} in ${where}; FRR runs one BGP instance per VRF`,
          `use routerID ${first.routerId} (or leave it empty on both)`,
        ),
      );
      continue;
    }
    group.push(p);
    byVrf.set(p.vrf, group);
  }
  return byVrf;
}

const fnv = (text: string): number => {
  let h = 2166136261;
  for (const c of Buffer.from(text)) h = Math.imul(h ^ c, 16777619) >>> 0;
  return h;
};

/**
 * A sequence number that depends on the entry, not on its position: adding a prefix adds one
 * line instead of renumbering every later one (which frr-reload.py applies line by line, in
 * seconds for a thousand prefixes). Collisions take the next free number, in sorted order.
 */
function stableSeq(key: string, used: Set<number>, max: number): number {
  let seq = (fnv(key) % max) + 1;
  while (used.has(seq)) seq = (seq % max) + 1;
  used.add(seq);
  return seq;
}

/** The outbound policy of one peer: its routes grouped by attributes, one permit entry each. */
function outboundPolicy(plan: PeerPlan): { prefixLists: string[]; routeMap: string[] } {
  const name = objectName(plan.peer.name);
  const groups = new Map<string, { route: DesiredRoute; prefixes: { 4: string[]; 6: string[] } }>();
  for (const r of plan.routes) {
    const key = JSON.stringify([r.communities, r.largeCommunities, r.localPref ?? null]);
    const g = groups.get(key) ?? { route: r, prefixes: { 4: [], 6: [] } };
    g.prefixes[r.family].push(r.prefix);
    groups.set(key, g);
  }
  const prefixLists: string[] = [];
  const routeMap: string[] = [];
  const entries = new Set<number>();
  for (const [key, g] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    for (const family of [4, 6] as const) {
      const prefixes = [...g.prefixes[family]].sort();
      if (!prefixes.length || !plan.families.includes(family)) continue;
      const list = `${name}-${fnv(key).toString(16).padStart(8, "0")}-ipv${family}`;
      const ip = family === 4 ? "ip" : "ipv6";
      const seqs = new Set<number>();
      for (const p of prefixes)
        prefixLists.push(
          `${ip} prefix-list ${list} seq ${stableSeq(p, seqs, 4_000_000_000)} permit ${p}`,
        );
      routeMap.push(
        `route-map ${name}-out permit ${stableSeq(`${key}|${family}`, entries, 65_000)}`,
        ` match ${ip} address prefix-list ${list}`,
      );
      const c = communityText(g.route.communities);
      if (c) routeMap.push(` set community ${c}`);
      const l = largeCommunityText(g.route.largeCommunities);
      if (l) routeMap.push(` set large-community ${l}`);
      if (g.route.localPref !== undefined)
        routeMap.push(` set local-preference ${g.route.localPref}`);
      routeMap.push("exit", "!");
    }
  // What FRR does after the last entry anyway, written out so the file reads as it behaves (and
  // a peer with nothing to announce still has its route-map).
  routeMap.push(`route-map ${name}-out deny 65535`, "exit", "!");
  return { prefixLists, routeMap };
}

function bfdBlock(profiles: BfdProfile[]): string[] {
  if (!profiles.length) return [];
  const out = ["bfd"];
  for (const p of profiles) {
    out.push(` profile ${p.name}`);
    if (p.detectMultiplier !== undefined && p.detectMultiplier !== BFD_DEFAULT.multiplier)
      out.push(`  detect-multiplier ${p.detectMultiplier}`);
    if (p.receiveIntervalMs !== undefined && p.receiveIntervalMs !== BFD_DEFAULT.intervalMs)
      out.push(`  receive-interval ${p.receiveIntervalMs}`);
    if (p.transmitIntervalMs !== undefined && p.transmitIntervalMs !== BFD_DEFAULT.intervalMs)
      out.push(`  transmit-interval ${p.transmitIntervalMs}`);
    if (p.passiveMode) out.push("  passive-mode");
    if (p.echoMode) out.push("  echo-mode");
    if (p.echoIntervalMs !== undefined && p.echoIntervalMs !== BFD_DEFAULT.echoMs)
      out.push(
        `  echo transmit-interval ${p.echoIntervalMs}`,
        `  echo receive-interval ${p.echoIntervalMs}`,
      );
    if (p.minimumTtl !== undefined && p.minimumTtl !== BFD_DEFAULT.minimumTtl)
      out.push(`  minimum-ttl ${p.minimumTtl}`);
    out.push(" exit", " !");
  }
  out.push("exit", "!");
  return out;
}

export function renderFrrConfig(input: FrrInput): FrrConfig {
  const problems: Problem[] = [];
  const plans: PeerPlan[] = [];
  for (const peer of input.peers) {
    if (!input.routes.has(peer.name)) continue; // not a peer of this node
    const r = planPeer(input, peer);
    problems.push(...r.problems);
    if (r.plan) plans.push(r.plan);
  }
  const byVrf = instances(plans, problems);
  const text = ["frr defaults traditional", "log stdout informational", "!"];
  const policies: string[] = [];
  const prefixLists: string[] = [];
  const vrfs = [...byVrf.keys()].sort((a, b) =>
    a === "default" ? -1 : b === "default" ? 1 : a < b ? -1 : 1,
  );
  for (const vrf of vrfs) {
    const group = byVrf.get(vrf) ?? [];
    const head = group[0];
    if (!head) continue;
    text.push(`router bgp ${head.asn}${vrf === "default" ? "" : ` vrf ${vrf}`}`);
    text.push(
      ` bgp router-id ${head.routerId}`,
      " no bgp ebgp-requires-policy",
      " no bgp default ipv4-unicast",
      " no bgp network import-check",
    );
    for (const p of group) text.push(...p.lines.map((l) => ` ${l}`));
    for (const family of [4, 6] as const) {
      const active = group.filter((p) => p.families.includes(family));
      if (!active.length) continue;
      text.push(" !", ` address-family ipv${family} unicast`);
      const networks = new Set(
        active.flatMap((p) => p.routes.filter((r) => r.family === family).map((r) => r.prefix)),
      );
      for (const n of [...networks].sort()) text.push(`  network ${n}`);
      for (const p of active)
        text.push(
          `  neighbor ${p.neighbor} activate`,
          `  neighbor ${p.neighbor} route-map ${DENY_IN} in`,
          `  neighbor ${p.neighbor} route-map ${objectName(p.peer.name)}-out out`,
        );
      text.push(" exit-address-family");
    }
    text.push("exit", "!");
    for (const p of group) {
      const o = outboundPolicy(p);
      prefixLists.push(...o.prefixLists);
      policies.push(...o.routeMap);
    }
  }
  if (plans.length) policies.push(`route-map ${DENY_IN} deny 1`, "exit", "!");
  const kept = [...byVrf.values()].flat();
  const profileNames = [...new Set(kept.flatMap((p) => p.bfdProfile ?? []))].sort();
  const profiles = profileNames.flatMap((n) => input.bfdProfiles.get(n) ?? []);
  text.push(
    ...prefixLists,
    ...(prefixLists.length ? ["!"] : []),
    ...policies,
    ...bfdBlock(profiles),
  );
  text.push("end", "");
  return {
    text: text.join("\n"),
    sessions: kept
      .map((p) => ({ peer: p.peer.name, neighbor: p.neighbor, vrf: p.vrf, bfd: !!p.bfdProfile }))
      .sort((a, b) => (a.peer < b.peer ? -1 : 1)),
    problems,
  };
}
