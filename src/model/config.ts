// The configuration's meaning, parsed once: metallb.io objects in, pools, advertisements,
// communities, peers and BFD profiles out, with every problem found on the way. The controller,
// the speaker and `metallb-ts validate` all read the configuration through this function, as
// upstream MetalLB's parts all read `config.For`'s result.
import type { TSchema } from "@sinclair/typebox";
import { BFDProfileSpec } from "../api/kinds/bfdprofile.js";
import { BGPAdvertisementSpec } from "../api/kinds/bgpadvertisement.js";
import { BGPPeerSpec } from "../api/kinds/bgppeer.js";
import { CommunitySpec } from "../api/kinds/community.js";
import { IPAddressPoolSpec } from "../api/kinds/ipaddresspool.js";
import { L2AdvertisementSpec } from "../api/kinds/l2advertisement.js";
import type { Labels } from "../api/formats/label-selector.js";
import {
  bgpAdvertisement,
  ebgpOnlyLocalPref,
  l2Advertisement,
  localPrefConflicts,
  selectedPools,
  unknownPools,
  type BgpAdvertisement,
  type L2Advertisement,
} from "./advertisement.js";
import { parseBfdProfile, type BfdProfile } from "./bfd.js";
import { aliasesOf, resolveCommunities, type Aliases } from "./community.js";
import { duplicateEndpoints, parsePeer, type Peer } from "./peer.js";
import { hostBitWarnings, overlapsOf, parsePool, type Pool } from "./pool.js";
import { orderProblems, problem, type ConfigKind, type Problem } from "./problem.js";
import { carveReservations } from "./reservation.js";
import { ruleProblems } from "./rules.js";

/** One configuration object: its name, labels and spec (from the API server or a values file). */
export interface Resource<S> {
  name: string;
  labels?: Labels;
  spec: S;
}

/** The objects of one configuration; kinds a program does not watch are left empty. */
export interface ConfigResources {
  pools?: readonly Resource<IPAddressPoolSpec>[];
  l2Advertisements?: readonly Resource<L2AdvertisementSpec>[];
  bgpAdvertisements?: readonly Resource<BGPAdvertisementSpec>[];
  bgpPeers?: readonly Resource<BGPPeerSpec>[];
  communities?: readonly Resource<CommunitySpec>[];
  bfdProfiles?: readonly Resource<BFDProfileSpec>[];
}

export interface Config {
  /** Usable pools, by name order. A pool with an entry that is not an address is left out. */
  pools: Pool[];
  poolsByName: ReadonlyMap<string, Pool>;
  l2Advertisements: L2Advertisement[];
  bgpAdvertisements: BgpAdvertisement[];
  peers: Peer[];
  communities: Aliases;
  bfdProfiles: ReadonlyMap<string, BfdProfile>;
  /** Everything wrong, ordered (see orderProblems). */
  problems: Problem[];
}

export interface ParseOptions {
  /** The runtime namespace: the only one whose Secrets the speaker reads. */
  namespace: string;
}

const byName = <T extends { name: string }>(xs: readonly T[]): T[] =>
  [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const SPECS: Record<ConfigKind, TSchema> = {
  IPAddressPool: IPAddressPoolSpec,
  L2Advertisement: L2AdvertisementSpec,
  BGPAdvertisement: BGPAdvertisementSpec,
  BGPPeer: BGPPeerSpec,
  BFDProfile: BFDProfileSpec,
  Community: CommunitySpec,
};

export function parseConfig(res: ConfigResources, opts: ParseOptions): Config {
  const problems: Problem[] = [];
  const rules = (kind: ConfigKind, objs: readonly Resource<unknown>[] | undefined) => {
    for (const o of objs ?? []) problems.push(...ruleProblems(kind, o.name, SPECS[kind], o.spec));
  };
  rules("IPAddressPool", res.pools);
  rules("L2Advertisement", res.l2Advertisements);
  rules("BGPAdvertisement", res.bgpAdvertisements);
  rules("BGPPeer", res.bgpPeers);
  rules("BFDProfile", res.bfdProfiles);
  rules("Community", res.communities);

  const pools: Pool[] = [];
  for (const o of byName(res.pools ?? [])) {
    const parsed = parsePool(o.name, o.spec, o.labels);
    if ("pool" in parsed) {
      pools.push(parsed.pool);
      problems.push(...hostBitWarnings(parsed.pool));
    }
    // An entry its CEL rule accepts yet the parser refuses cannot happen; should it, say so.
    else if (!problems.some((p) => p.kind === "IPAddressPool" && p.name === o.name))
      problems.push(
        problem(
          "IPAddressPool",
          o.name,
          ["spec", "addresses", parsed.badEntries[0] ?? 0],
          parsed.errors.join("; "),
          "write CIDRs or ranges of one family",
        ),
      );
  }
  for (const o of overlapsOf(pools))
    problems.push(
      problem(
        "IPAddressPool",
        o.pool,
        ["spec", "addresses", o.entry],
        o.message,
        "make the address ranges disjoint: an address can be handed out by one pool only",
      ),
    );
  const allPoolNames = (res.pools ?? []).map((p) => p.name);

  const l2Advertisements = byName(res.l2Advertisements ?? []).map((o) => {
    problems.push(...unknownPools("L2Advertisement", o.name, o.spec, pools, allPoolNames));
    return l2Advertisement(o.name, o.spec, pools);
  });

  const { aliases: communities, problems: aliasProblems } = aliasesOf(
    byName(res.communities ?? []),
  );
  problems.push(...aliasProblems);
  const peerNames = new Set((res.bgpPeers ?? []).map((p) => p.name));
  const bgpAdvertisements = byName(res.bgpAdvertisements ?? []).map((o) => {
    problems.push(...unknownPools("BGPAdvertisement", o.name, o.spec, pools, allPoolNames));
    (o.spec.peers ?? []).forEach((peer, i) => {
      if (res.bgpPeers && !peerNames.has(peer))
        problems.push(
          problem(
            "BGPAdvertisement",
            o.name,
            ["spec", "peers", i],
            `BGPPeer "${peer}" does not exist`,
            `create it or correct the name (peers: ${[...peerNames].join(", ") || "none"})`,
          ),
        );
    });
    const resolved = resolveCommunities(o.name, o.spec.communities ?? [], communities);
    problems.push(...resolved.problems);
    const adv = bgpAdvertisement(o.name, o.spec, pools, resolved.communities);
    problems.push(...adv.problems);
    return adv.advertisement;
  });

  problems.push(...localPrefConflicts(bgpAdvertisements));

  const bfdProfiles = new Map(
    (res.bfdProfiles ?? []).map((o) => [o.name, parseBfdProfile(o.name, o.spec)] as const),
  );
  const peers = byName(res.bgpPeers ?? []).map((o) => {
    const parsed = parsePeer(o.name, o.spec, opts.namespace);
    problems.push(...parsed.problems);
    // Only a program that reads BFDProfiles can tell a missing one from one it does not watch.
    if (res.bfdProfiles && o.spec.bfdProfile !== undefined && !bfdProfiles.has(o.spec.bfdProfile))
      problems.push(
        problem(
          "BGPPeer",
          o.name,
          ["spec", "bfdProfile"],
          `BFDProfile "${o.spec.bfdProfile}" does not exist`,
          `create a BFDProfile named ${o.spec.bfdProfile} or correct the name`,
        ),
      );
    return parsed.peer;
  });
  problems.push(...duplicateEndpoints(peers));
  if (res.bgpPeers) problems.push(...ebgpOnlyLocalPref(bgpAdvertisements, peers));

  // Reservations leave their parent pool and are announced wherever it is.
  const carved = carveReservations(pools);
  problems.push(...carved.problems);
  const inherit = <A extends { pools: ReadonlySet<string> }>(adv: A): A => {
    const extra = [...adv.pools].flatMap((p) => carved.children.get(p) ?? []);
    return extra.length ? { ...adv, pools: new Set([...adv.pools, ...extra]) } : adv;
  };

  return {
    pools: carved.pools,
    poolsByName: new Map(carved.pools.map((p) => [p.name, p])),
    l2Advertisements: l2Advertisements.map(inherit),
    bgpAdvertisements: bgpAdvertisements.map(inherit),
    peers,
    communities,
    bfdProfiles,
    problems: orderProblems(problems),
  };
}

/** Pools no advertisement announces: their addresses are assigned but never reachable. */
export function unannouncedPools(config: Config): Problem[] {
  const announced = new Set(
    [...config.l2Advertisements, ...config.bgpAdvertisements].flatMap((a) => [...a.pools]),
  );
  return config.pools
    .filter((p) => !announced.has(p.name))
    .map((p) =>
      problem(
        "IPAddressPool",
        p.name,
        [],
        `pool ${p.name} is in no L2Advertisement or BGPAdvertisement: its addresses are assigned but never announced`,
        "add the pool to an L2Advertisement or a BGPAdvertisement",
        "warning",
      ),
    );
}

/** Advertisements whose pool selectors match no pool (usually a label typo). */
export function emptySelections(res: ConfigResources, config: Config): Problem[] {
  const pools = config.pools;
  const check = (kind: ConfigKind, objs: ConfigResources["l2Advertisements"]) =>
    (objs ?? []).flatMap((o) =>
      o.spec.ipAddressPoolSelectors?.length &&
      !selectedPools({ ipAddressPoolSelectors: o.spec.ipAddressPoolSelectors }, pools).length
        ? [
            problem(
              kind,
              o.name,
              ["spec", "ipAddressPoolSelectors"],
              "the selectors match no pool",
              "label a pool to match or fix the selector",
              "warning",
            ),
          ]
        : [],
    );
  return [
    ...check("L2Advertisement", res.l2Advertisements),
    ...check("BGPAdvertisement", res.bgpAdvertisements),
  ];
}
