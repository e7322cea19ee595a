// A BGPPeer of the model → the native session's configuration (pure). What the native speaker
// cannot do yet is returned as problems, so the BGPPeer gets a condition instead of silence.
import type { BGPPeerSpec } from "../../api/kinds/bgppeer.js";
import type { Peer } from "../../model/index.js";
import type { PeerConfig } from "../bgp/index.js";
import type { Md5Key } from "../native/index.js";

export interface PeerVerdict {
  name: string;
  /** Undefined when the peer cannot be served in native mode at all. */
  config?: PeerConfig;
  problems: string[];
}

/** A stable non-zero IPv4-shaped identifier from a name, for nodes without an IPv4 address. */
function hashedRouterId(name: string): string {
  let h = 2166136261;
  for (const c of Buffer.from(name)) h = Math.imul(h ^ c, 16777619) >>> 0;
  h = h || 1;
  return [h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255].join(".");
}

/**
 * The router ID: the BGPPeer's routerID, else (as upstream) the node's IPv4 address, else a
 * hash of the node name (an IPv6-only node still needs a 32-bit identifier, RFC 6286).
 */
export function routerIdFor(spec: BGPPeerSpec, node: { name: string; ipv4?: string }): string {
  return spec.routerID ?? node.ipv4 ?? hashedRouterId(node.name);
}

function backoff(connectSeconds: number): { initialMs: number; maxMs: number } {
  const initialMs = Math.max(100, connectSeconds * 1000);
  return { initialMs, maxMs: Math.max(120_000, initialMs) };
}

/** A Secret of the runtime namespace as far as a BGPPeer's passwordSecret cares. */
export interface SecretFacts {
  type?: string;
  /** The `password` key's bytes, when present (never decoded as text: a key is octets). */
  password?: Uint8Array;
}

export interface PeerContext {
  /** The runtime namespace: passwordSecret must live there (the speaker can read no other). */
  namespace: string;
  /** Secrets of that namespace by name. */
  secrets: ReadonlyMap<string, SecretFacts>;
}

const BASIC_AUTH = "kubernetes.io/basic-auth";

/** The TCP MD5 key of a peer, or why there is none. */
export function md5Key(peer: Peer, ctx: PeerContext): { key?: Md5Key; problem?: string } {
  const src = peer.md5;
  if (src.kind === "none") return {};
  if (src.kind === "password") return { key: src.password };
  // The model has said why the reference cannot be followed.
  if (src.kind === "unusable") return { problem: "" };
  const secret = ctx.secrets.get(src.name);
  if (!secret)
    return {
      problem: `passwordSecret "${src.name}" does not exist in namespace "${ctx.namespace}" (or is not of type ${BASIC_AUTH}); create it with the key in "password"`,
    };
  if (secret.type !== BASIC_AUTH)
    return {
      problem: `passwordSecret "${src.name}" has type "${secret.type ?? ""}"; it must be ${BASIC_AUTH}`,
    };
  if (secret.password === undefined)
    return {
      problem: `passwordSecret "${src.name}" has no "password" key; add the TCP MD5 key there`,
    };
  return { key: secret.password };
}

/**
 * Packets of single-hop eBGP leave with TTL 1, as routers expect of a directly connected
 * neighbour; multihop eBGP and iBGP (often between loopbacks) with 255.
 */
function ttlFor(peer: Peer): number {
  return peer.ebgp && !peer.spec.ebgpMultiHop ? 1 : 255;
}

export function peerConfig(
  peer: Peer,
  node: { name: string; ipv4?: string },
  ctx: PeerContext,
): PeerVerdict {
  const s = peer.spec;
  const problems: string[] = [];
  const unsupported = (what: string, fix: string) =>
    problems.push(`${what} is not available in the native BGP speaker; ${fix}`);
  if (s.vrf) unsupported(`vrf "${s.vrf}"`, "remove it or run the speaker in FRR mode");
  if (s.interface)
    unsupported(`interface "${s.interface}" (unnumbered BGP)`, "set peerAddress instead");
  if (s.bfdProfile)
    problems.push(
      `bfdProfile "${s.bfdProfile}" is ignored: BFD needs FRR mode; the session runs without BFD`,
    );
  const md5 = md5Key(peer, ctx);
  // Without its key the session could never come up: better none than one that flaps.
  if (md5.problem) problems.push(md5.problem);
  if (!s.peerAddress && !s.interface) problems.push("peerAddress is required");
  if (s.vrf || s.interface || md5.problem !== undefined || !s.peerAddress)
    return { name: peer.name, problems };
  const family = peer.address?.family ?? 4;
  const config: PeerConfig = {
    address: s.peerAddress,
    localAsn: s.myASN,
    peerAsn: s.peerASN ?? (s.dynamicASN === "internal" ? "internal" : "external"),
    routerId: routerIdFor(s, node),
    families: s.disableMP ? [family] : [4, 6],
    ttl: ttlFor(peer),
    ...(s.peerPort !== undefined ? { port: s.peerPort } : {}),
    ...(peer.holdTimeSeconds !== undefined ? { holdTime: peer.holdTimeSeconds } : {}),
    ...(peer.keepaliveTimeSeconds !== undefined
      ? { keepaliveTime: peer.keepaliveTimeSeconds }
      : {}),
    ...(peer.connectTimeSeconds !== undefined
      ? { connectRetry: backoff(peer.connectTimeSeconds) }
      : {}),
    ...(s.sourceAddress ? { sourceAddress: s.sourceAddress } : {}),
    ...(s.enableGracefulRestart ? { gracefulRestart: { restartTime: 120 } } : {}),
    ...(md5.key !== undefined ? { password: md5.key } : {}),
  };
  return { name: peer.name, config, problems };
}
