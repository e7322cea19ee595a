// Our OPEN, and the acceptance of the peer's (RFC 4271 §6.2, RFC 5492, RFC 6286, RFC 6793,
// RFC 4760, RFC 4724): what the session will use once both OPENs are exchanged.
import { formatIp, parseIp, type Family } from "../../api/formats/ip.js";
import { AS_TRANS } from "./codec/as-path.js";
import type { Capability, GracefulRestartFamily } from "./codec/capabilities.js";
import type { OpenMessage } from "./codec/open.js";
import { AFI, SAFI_UNICAST, familyOfAfi } from "./codec/prefix.js";
import { BgpError, ErrorCode, OpenError } from "./errors.js";

export interface LocalConfig {
  localAsn: number;
  /** A number, or MetalLB's dynamicASN: "internal" (= localAsn) or "external" (≠ localAsn). */
  peerAsn: number | "internal" | "external";
  /** BGP identifier, an IPv4 address. */
  routerId: string;
  /** Proposed hold time in seconds: 0 (no keepalives) or 3..65535. */
  holdTime: number;
  /** Keepalive interval in seconds; at most a third of the negotiated hold time is used. */
  keepaliveTime?: number;
  families: Family[];
  /** Advertise graceful restart (RFC 4724) with this restart time in seconds (≤ 4095). */
  gracefulRestart?: { restartTime: number };
}

export interface Negotiated {
  peerAsn: number;
  /** The peer's BGP identifier, dotted. */
  peerId: string;
  ibgp: boolean;
  /** Seconds; 0 means no hold timer and no keepalives. */
  holdTime: number;
  keepaliveMs: number;
  fourOctetAs: boolean;
  /** Families both sides announced (IPv4 unicast implied when the peer sends no MP capability). */
  families: Family[];
  routeRefresh: boolean;
  /** The peer's graceful restart capability, when it sent one. */
  peerGracefulRestart?: { restartTime: number; families: GracefulRestartFamily[] };
}

export const routerIdValue = (routerId: string): number => {
  const ip = parseIp(routerId);
  if (!ip || ip.family !== 4) throw new Error(`router ID "${routerId}" must be an IPv4 address`);
  return Number(ip.value);
};

export function buildOpen(cfg: LocalConfig, restarting: boolean): OpenMessage {
  const capabilities: Capability[] = cfg.families.map((f) => ({
    kind: "multiprotocol",
    afi: AFI[f],
    safi: SAFI_UNICAST,
  }));
  capabilities.push({ kind: "routeRefresh" }, { kind: "fourOctetAs", asn: cfg.localAsn });
  if (cfg.gracefulRestart) {
    capabilities.push({
      kind: "gracefulRestart",
      restarting,
      notification: false,
      restartTime: cfg.gracefulRestart.restartTime,
      // A speaker restart does not touch the node's forwarding (kube-proxy keeps serving), so
      // the forwarding state is always preserved.
      families: cfg.families.map((f) => ({ afi: AFI[f], safi: SAFI_UNICAST, forwarding: true })),
    });
  }
  return {
    type: "open",
    version: 4,
    myAs: cfg.localAsn > 0xffff ? AS_TRANS : cfg.localAsn,
    holdTime: cfg.holdTime,
    bgpId: routerIdValue(cfg.routerId),
    capabilities,
  };
}

const u16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);

function acceptablePeerAs(cfg: LocalConfig, asn: number): boolean {
  if (asn === 0) return false; // RFC 7607
  if (cfg.peerAsn === "internal") return asn === cfg.localAsn;
  if (cfg.peerAsn === "external") return asn !== cfg.localAsn;
  return asn === cfg.peerAsn;
}

/** Checks the peer's OPEN; throws the BgpError whose NOTIFICATION refuses it. */
export function negotiate(cfg: LocalConfig, open: OpenMessage): Negotiated {
  if (open.version !== 4) {
    throw new BgpError(
      ErrorCode.Open,
      OpenError.UnsupportedVersion,
      `peer speaks BGP version ${open.version}; only 4 is supported`,
      u16(4),
    );
  }
  const as4 = open.capabilities.find((c) => c.kind === "fourOctetAs");
  const peerAsn = as4?.kind === "fourOctetAs" ? as4.asn : open.myAs;
  if (!acceptablePeerAs(cfg, peerAsn)) {
    const expected = typeof cfg.peerAsn === "number" ? `AS ${cfg.peerAsn}` : `an ${cfg.peerAsn} AS`;
    throw new BgpError(
      ErrorCode.Open,
      OpenError.BadPeerAs,
      `peer says it is AS ${peerAsn}, expected ${expected}`,
      u16(open.myAs),
    );
  }
  if (open.holdTime === 1 || open.holdTime === 2) {
    throw new BgpError(
      ErrorCode.Open,
      OpenError.UnacceptableHoldTime,
      `hold time ${open.holdTime}s (must be 0 or at least 3s)`,
    );
  }
  const ibgp = peerAsn === cfg.localAsn;
  if (open.bgpId === 0 || (ibgp && open.bgpId === routerIdValue(cfg.routerId))) {
    throw new BgpError(
      ErrorCode.Open,
      OpenError.BadBgpIdentifier,
      open.bgpId === 0 ? "BGP identifier is 0" : "iBGP peer uses our own BGP identifier",
    );
  }
  const mp = open.capabilities.filter((c) => c.kind === "multiprotocol");
  const peerFamilies = new Set<Family>(
    mp.length === 0
      ? [4]
      : mp.flatMap((c) => {
          const f = c.safi === SAFI_UNICAST ? familyOfAfi(c.afi) : undefined;
          return f ? [f] : [];
        }),
  );
  const families = cfg.families.filter((f) => peerFamilies.has(f));
  if (families.length === 0) {
    throw new BgpError(
      ErrorCode.Open,
      OpenError.UnsupportedCapability,
      `peer supports none of ${cfg.families.map((f) => `IPv${f} unicast`).join(", ")}`,
      Buffer.concat(cfg.families.map((f) => Buffer.of(1, 4, 0, AFI[f], 0, SAFI_UNICAST))),
    );
  }
  const holdTime = Math.min(cfg.holdTime, open.holdTime);
  const third = (holdTime * 1000) / 3;
  const keepaliveMs = holdTime === 0 ? 0 : Math.min(third, (cfg.keepaliveTime ?? Infinity) * 1000);
  const gr = open.capabilities.find((c) => c.kind === "gracefulRestart");
  return {
    peerAsn,
    peerId: formatIp({ family: 4, value: BigInt(open.bgpId) }),
    ibgp,
    holdTime,
    keepaliveMs,
    fourOctetAs: as4 !== undefined,
    families,
    routeRefresh: open.capabilities.some((c) => c.kind === "routeRefresh"),
    ...(gr?.kind === "gracefulRestart"
      ? { peerGracefulRestart: { restartTime: gr.restartTime, families: gr.families } }
      : {}),
  };
}
