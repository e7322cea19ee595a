// What the lab needs from any BGP implementation: start it with a declarative config, read its
// RIB and its sessions through its own CLI.

export interface BgpNeighbor {
  address: string;
  asn: number;
  /** TCP MD5 key (RFC 2385). */
  password?: string;
  /** Wait for the other side to connect. */
  passive?: boolean;
  /** Hold time in seconds (keepalive = hold / 3). */
  holdTime?: number;
  /** Address families exchanged; the neighbor address's own family when absent. */
  families?: (4 | 6)[];
  /** eBGP neighbor this many hops away (FRR only). */
  ebgpMultihop?: number;
  /** BFD on this session, with the router's `bfd` timers. */
  bfd?: boolean;
}

export interface BgpRouterSpec {
  host: string;
  asn: number;
  routerId: string;
  neighbors: BgpNeighbor[];
  /** Prefixes this router originates. */
  originate?: string[];
  /** ECMP: install up to this many equal paths per prefix (FRR only). */
  maximumPaths?: number;
  /** TCP port the router listens on instead of 179 (FRR only). */
  listenPort?: number;
  /** BFD timers of the neighbors with `bfd` (default 300 ms × 3). */
  bfd?: { intervalMs: number; multiplier: number };
}

/** Rejects spec options a router kind does not implement (rather than ignoring them). */
export function rejectUnsupported(kind: string, spec: BgpRouterSpec): void {
  const unsupported = (["maximumPaths", "listenPort"] as const).filter(
    (k) => spec[k] !== undefined,
  );
  if (unsupported.length) {
    throw new Error(
      `the lab's ${kind} router does not implement ${unsupported.join(", ")}; use FRR`,
    );
  }
}

export interface RibPath {
  prefix: string;
  nextHop: string;
  asPath: number[];
  localPref?: number;
  /** "AS:value" strings. */
  communities: string[];
  /** "global:local1:local2" strings. */
  largeCommunities: string[];
  best: boolean;
  /** Kept by graceful restart after its session went down (FRR only reports it). */
  stale?: boolean;
}

/** "Established" when the session is up; otherwise the router's own name for the state. */
export type SessionState = string;

export interface BgpRouter {
  readonly kind: "frr" | "bird" | "gobgp";
  readonly host: string;
  rib(family: 4 | 6): Promise<RibPath[]>;
  /** Session state by neighbor address. */
  sessions(): Promise<Record<string, SessionState>>;
  /**
   * Asks a neighbor to send its routes again (a ROUTE-REFRESH, RFC 2918). GoBGP has none: it
   * keeps every received route and its `softresetin` only re-applies local policy.
   */
  softResetIn?(neighbor: string): Promise<void>;
  stop(): Promise<void>;
}

export const familyOf = (address: string): 4 | 6 => (address.includes(":") ? 6 : 4);

export const familiesOf = (n: BgpNeighbor): (4 | 6)[] => n.families ?? [familyOf(n.address)];
