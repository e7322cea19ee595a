// What the speaker's shell drives: the Layer 2 and BGP announcers, as narrow interfaces (the
// native drivers in production, recording fakes in the shell's fast tests).
import type { BfdProfile, Peer, Problem } from "../../model/index.js";
import type { ConditionDraft } from "../kube/conditions.js";
import type { PeerContext } from "./bgp-peer-config.js";
import type { DesiredRoute } from "./desired-routes.js";
import type { Placement } from "./l2-election.js";
import type { L2AddressOutcome } from "./status-plan.js";

/** Makes this node's share of the L2 placements reachable (ARP/NDP). */
export interface L2Driver {
  /**
   * `placedBefore`: addresses some node owned in the previous pass (takeovers, not new).
   * `speakerMacs`: the other speakers' MACs, whose answers to a probe are not conflicts.
   * Returns what became of each owned address (announced where, or why not).
   */
  apply(
    owned: Placement[],
    placedBefore: ReadonlySet<string>,
    speakerMacs?: ReadonlySet<string>,
  ): Promise<L2AddressOutcome[]>;
}

/** A BGP session of this node, as its ConfigurationState reports it. */
export interface BgpSessionFact {
  /** The BGPPeer's name. */
  peer: string;
  address: string;
  established: boolean;
  /** Why it last went down or failed to come up (absent once it is Established). */
  lastError?: string;
}

/** Keeps one session per peer and announces exactly the given routes to each. */
export interface BgpDriver {
  /** The sessions this node runs now, one per BGPPeer of this node that could start. */
  sessions(): BgpSessionFact[];
  /**
   * `node.ipv4` (its InternalIP) is the default router ID, as upstream. Returns the problems of
   * the peers' configurations this implementation finds (a peer that cannot run gets none of its
   * routes), as BGPPeer problems. `bfdProfiles`: the BFDProfiles by name (FRR mode runs them).
   */
  apply(
    peers: readonly Peer[],
    routes: Map<string, DesiredRoute[]>,
    node: { name: string; ipv4?: string },
    ctx: PeerContext,
    bfdProfiles?: ReadonlyMap<string, BfdProfile>,
  ): Promise<Problem[]>;
  /** Conditions of the implementation itself for the ConfigurationState (FRR's verdict). */
  conditions?(): ConditionDraft[];
}
