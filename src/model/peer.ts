// BGPPeer → the session's meaning, independent of which BGP implementation runs it: the kind of
// session (iBGP/eBGP), timers in seconds, where its MD5 key comes from, which nodes peer.
import type { BGPPeerSpec } from "../api/kinds/bgppeer.js";
import { durationMs } from "../api/formats/duration.js";
import { parseIp, type Ip } from "../api/formats/ip.js";
import type { LabelSelector } from "../api/formats/label-selector.js";
import { problem, type Problem } from "./problem.js";

/** Where the session's TCP MD5 key comes from. */
export type Md5Source =
  | { kind: "none" }
  | { kind: "password"; password: string }
  /** A Secret in the runtime namespace, by name. */
  | { kind: "secret"; name: string }
  /** The reference cannot be followed (its problem says why): no session without its key. */
  | { kind: "unusable" };

export interface Peer {
  name: string;
  /** The object as written, for fields an implementation reads as they are. */
  spec: BGPPeerSpec;
  address?: Ip;
  /** eBGP (the peer's AS differs, or dynamicASN external); iBGP otherwise. */
  ebgp: boolean;
  nodeSelectors: LabelSelector[];
  holdTimeSeconds?: number;
  keepaliveTimeSeconds?: number;
  connectTimeSeconds?: number;
  md5: Md5Source;
}

const seconds = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const ms = durationMs(text);
  return ms === undefined ? undefined : ms / 1000;
};

function md5Of(name: string, spec: BGPPeerSpec, namespace: string): [Md5Source, Problem[]] {
  if (spec.password !== undefined) return [{ kind: "password", password: spec.password }, []];
  const ref = spec.passwordSecret;
  if (!ref) return [{ kind: "none" }, []];
  if (ref.namespace !== undefined && ref.namespace !== namespace)
    return [
      { kind: "unusable" },
      [
        problem(
          "BGPPeer",
          name,
          ["spec", "passwordSecret", "namespace"],
          `passwordSecret "${ref.namespace}/${ref.name}" must be in namespace "${namespace}", where the speaker reads Secrets`,
          `move it there and drop passwordSecret.namespace`,
        ),
      ],
    ];
  return [{ kind: "secret", name: ref.name }, []];
}

export function parsePeer(
  name: string,
  spec: BGPPeerSpec,
  namespace: string,
): { peer: Peer; problems: Problem[] } {
  const [md5, problems] = md5Of(name, spec, namespace);
  const ibgp =
    spec.peerASN !== undefined ? spec.peerASN === spec.myASN : spec.dynamicASN === "internal";
  if (ibgp && spec.ebgpMultiHop)
    problems.push(
      problem(
        "BGPPeer",
        name,
        ["spec", "ebgpMultiHop"],
        "ebgpMultiHop is set on an iBGP peer (the peer's AS is ours); it is ignored",
        "remove it: iBGP sessions are sent with TTL 255 anyway (upstream MetalLB refuses this peer)",
      ),
    );
  const address = spec.peerAddress === undefined ? undefined : parseIp(spec.peerAddress);
  const hold = seconds(spec.holdTime);
  const keepalive = seconds(spec.keepaliveTime);
  const connect = seconds(spec.connectTime);
  return {
    peer: {
      name,
      spec,
      ...(address ? { address } : {}),
      ebgp:
        spec.peerASN !== undefined ? spec.peerASN !== spec.myASN : spec.dynamicASN === "external",
      nodeSelectors: spec.nodeSelectors ?? [],
      ...(hold !== undefined ? { holdTimeSeconds: hold } : {}),
      ...(keepalive !== undefined ? { keepaliveTimeSeconds: keepalive } : {}),
      ...(connect !== undefined ? { connectTimeSeconds: connect } : {}),
      md5,
    },
    problems,
  };
}

/** A second BGPPeer to the same address, port and VRF as an earlier one. */
export function duplicateEndpoints(peers: readonly Peer[]): Problem[] {
  const first = new Map<string, string>();
  const out: Problem[] = [];
  for (const p of peers) {
    const s = p.spec;
    const where = p.address ? `${p.address.family}:${p.address.value}` : (s.interface ?? "");
    const key = `${where}|${s.peerPort ?? 179}|${s.vrf ?? ""}`;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, p.name);
    else
      out.push(
        problem(
          "BGPPeer",
          p.name,
          ["spec", "peerAddress"],
          `BGPPeer ${earlier} already peers with this address and port`,
          "remove the duplicate peer, or use nodeSelectors so each node has one session",
        ),
      );
  }
  return out;
}
