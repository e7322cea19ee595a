// What FRR runs, from its own JSON (pure): `show bgp vrf all neighbors json` and the two BFD
// peer listings → one record per session, keyed as the rendered configuration names them.

export interface BgpCounters {
  opensSent: number;
  opensRecv: number;
  notificationsSent: number;
  notificationsRecv: number;
  updatesSent: number;
  updatesRecv: number;
  keepalivesSent: number;
  keepalivesRecv: number;
  routeRefreshSent: number;
  totalSent: number;
  totalRecv: number;
}

export interface FrrNeighborState {
  vrf: string;
  neighbor: string;
  /** The peer's address (for an unnumbered session, the one FRR learnt). */
  address: string;
  state: string;
  /** Milliseconds since the session came up (Established only). */
  uptimeMs?: number;
  /** Why it last went down, in FRR's words. */
  lastError?: string;
  counters: BgpCounters;
  prefixesSent: number;
  prefixesReceived: number;
}

export interface BfdPeerState {
  vrf: string;
  peer: string;
  up: boolean;
  status: string;
  controlIn: number;
  controlOut: number;
  echoIn: number;
  echoOut: number;
  upEvents: number;
  downEvents: number;
  zebraNotifications: number;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" ? (v as Json) : {});
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const text = (v: unknown, fallback: string): string => (typeof v === "string" ? v : fallback);

const COUNTERS: (keyof BgpCounters)[] = [
  "opensSent",
  "opensRecv",
  "notificationsSent",
  "notificationsRecv",
  "updatesSent",
  "updatesRecv",
  "keepalivesSent",
  "keepalivesRecv",
  "routeRefreshSent",
  "totalSent",
  "totalRecv",
];

/** FRR's JSON of neighbors: VRF name → { vrfId, vrfName, <neighbor>: {...} }. */
export function parseNeighbors(json: unknown): FrrNeighborState[] {
  const out: FrrNeighborState[] = [];
  for (const [vrfKey, vrfValue] of Object.entries(obj(json))) {
    const vrf = obj(vrfValue);
    const vrfName = typeof vrf.vrfName === "string" ? vrf.vrfName : vrfKey;
    for (const [neighbor, value] of Object.entries(vrf)) {
      const n = obj(value);
      if (typeof n.bgpState !== "string") continue; // vrfId, vrfName
      const stats = obj(n.messageStats);
      const counters = Object.fromEntries(
        COUNTERS.map((k) => [k, num(stats[k])]),
      ) as unknown as BgpCounters;
      let sent = 0;
      let received = 0;
      for (const af of Object.values(obj(n.addressFamilyInfo))) {
        sent += num(obj(af).sentPrefixCounter);
        received += num(obj(af).acceptedPrefixCounter);
      }
      const established = n.bgpState === "Established";
      const reason = [n.lastNotificationReason, n.lastResetDueTo].filter(
        (r): r is string => typeof r === "string" && r !== "",
      );
      out.push({
        vrf: vrfName,
        neighbor,
        address:
          typeof n.bgpNeighborAddr === "string"
            ? n.bgpNeighborAddr
            : typeof n.hostForeign === "string"
              ? n.hostForeign
              : neighbor,
        state: n.bgpState,
        ...(established && typeof n.bgpTimerUpMsec === "number"
          ? { uptimeMs: n.bgpTimerUpMsec }
          : {}),
        ...(!established && reason.length ? { lastError: reason.join(": ") } : {}),
        counters,
        prefixesSent: sent,
        prefixesReceived: received,
      });
    }
  }
  return out;
}

/** `show bfd peers json` (status) and `show bfd peers counters json` (counters), joined. */
export function parseBfdPeers(peers: unknown, counters: unknown): BfdPeerState[] {
  const key = (p: Json) => `${text(p.vrf, "default")}|${text(p.peer, "")}`;
  const byKey = new Map<string, Json>();
  for (const c of Array.isArray(counters) ? counters : []) byKey.set(key(obj(c)), obj(c));
  return (Array.isArray(peers) ? peers : []).map((raw) => {
    const p = obj(raw);
    const c = byKey.get(key(p)) ?? {};
    const status = typeof p.status === "string" ? p.status : "unknown";
    return {
      vrf: text(p.vrf, "default"),
      peer: text(p.peer, ""),
      up: status === "up",
      status,
      controlIn: num(c["control-packet-input"]),
      controlOut: num(c["control-packet-output"]),
      echoIn: num(c["echo-packet-input"]),
      echoOut: num(c["echo-packet-output"]),
      upEvents: num(c["session-up"]),
      downEvents: num(c["session-down"]),
      zebraNotifications: num(c["zebra-notifications"]),
    };
  });
}
