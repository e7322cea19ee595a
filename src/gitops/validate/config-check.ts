// Cross-field and cross-object checks of the cluster configuration in values (config.*): what
// the CRDs' CEL rules would refuse at apply time, and what a webhook would have refused, found
// before the change is merged. Pure; input already passed the JSON Schema.
import type { ConfigValues } from "../../api/values/schema.js";
import { parseIp, parsePoolEntry, rangesOverlap, type IpRange } from "../../api/formats/ip.js";
import { matchesAny, type LabelSelector } from "../../api/formats/label-selector.js";
import { durationMs } from "../../api/formats/duration.js";
import { error, warning, type PathSegment, type Problem } from "./problem.js";

type Kind = keyof ConfigValues;
const at = (kind: Kind, i: number, ...rest: PathSegment[]): PathSegment[] => [
  "config",
  kind,
  i,
  ...rest,
];

function duplicateNames(config: ConfigValues): Problem[] {
  const out: Problem[] = [];
  for (const kind of Object.keys(config) as Kind[]) {
    const first = new Map<string, number>();
    config[kind].forEach((item, i) => {
      const j = first.get(item.name);
      if (j === undefined) first.set(item.name, i);
      else
        out.push(
          error(
            at(kind, i, "name"),
            `name "${item.name}" is already used by config.${kind}[${j}]`,
            "give every object of one kind its own name",
          ),
        );
    });
  }
  return out;
}

interface ParsedPool {
  name: string;
  index: number;
  labels: Record<string, string>;
  ranges: { range: IpRange; entry: number; text: string }[];
}

function parsePools(config: ConfigValues, out: Problem[]): ParsedPool[] {
  return config.ipAddressPools.map((pool, index) => {
    const ranges: ParsedPool["ranges"] = [];
    pool.spec.addresses.forEach((text, entry) => {
      const r = parsePoolEntry(text);
      if (typeof r === "string")
        out.push(
          error(
            at("ipAddressPools", index, "spec", "addresses", entry),
            r,
            "write a CIDR (203.0.113.0/24, 2001:db8::/120) or a range of one family (203.0.113.10-203.0.113.20)",
          ),
        );
      else ranges.push({ range: r, entry, text });
    });
    return { name: pool.name, index, labels: pool.labels ?? {}, ranges };
  });
}

function overlaps(pools: ParsedPool[]): Problem[] {
  const out: Problem[] = [];
  const all = pools.flatMap((p) => p.ranges.map((r) => ({ pool: p, ...r })));
  all.forEach((a, i) => {
    for (const b of all.slice(i + 1)) {
      if (!rangesOverlap(a.range, b.range)) continue;
      const where =
        a.pool === b.pool ? `entry ${b.entry} of the same pool` : `IPAddressPool ${b.pool.name}`;
      out.push(
        error(
          at("ipAddressPools", a.pool.index, "spec", "addresses", a.entry),
          `"${a.text}" overlaps "${b.text}" of ${where}`,
          "make the address ranges disjoint: an address can be handed out by one pool only",
        ),
      );
    }
  });
  return out;
}

/** Pools an advertisement covers: named ones plus those its selectors match. */
function advertisedPools(
  spec: { ipAddressPools?: string[]; ipAddressPoolSelectors?: unknown[] },
  pools: ParsedPool[],
): ParsedPool[] {
  const selectors = (spec.ipAddressPoolSelectors ?? []) as LabelSelector[];
  if (!spec.ipAddressPools?.length && !selectors.length) return pools; // none named: all pools
  return pools.filter(
    (p) =>
      spec.ipAddressPools?.includes(p.name) ||
      (selectors.length > 0 && matchesAny(selectors, p.labels)),
  );
}

function advertisementRefs(config: ConfigValues, pools: ParsedPool[]): Problem[] {
  const out: Problem[] = [];
  const poolNames = new Set(pools.map((p) => p.name));
  const peerNames = new Set(config.bgpPeers.map((p) => p.name));
  const aliases = new Set(
    config.communities.flatMap((c) => (c.spec.communities ?? []).map((a) => a.name)),
  );
  for (const kind of ["l2Advertisements", "bgpAdvertisements"] as const) {
    config[kind].forEach((adv, i) => {
      (adv.spec.ipAddressPools ?? []).forEach((name, j) => {
        if (!poolNames.has(name))
          out.push(
            error(
              at(kind, i, "spec", "ipAddressPools", j),
              `IPAddressPool "${name}" is not defined in config.ipAddressPools`,
              `add a pool named ${name} or correct the name (defined: ${[...poolNames].join(", ") || "none"})`,
            ),
          );
      });
      if (adv.spec.ipAddressPoolSelectors?.length) {
        const selected = pools.filter((p) =>
          matchesAny(adv.spec.ipAddressPoolSelectors as LabelSelector[], p.labels),
        );
        if (!selected.length)
          out.push(
            warning(
              at(kind, i, "spec", "ipAddressPoolSelectors"),
              "the selectors match no pool in config.ipAddressPools",
              "label a pool to match (config.ipAddressPools[].labels) or fix the selector",
            ),
          );
      }
    });
  }
  config.bgpAdvertisements.forEach((adv, i) => {
    (adv.spec.peers ?? []).forEach((name, j) => {
      if (!peerNames.has(name))
        out.push(
          error(
            at("bgpAdvertisements", i, "spec", "peers", j),
            `BGPPeer "${name}" is not defined in config.bgpPeers`,
            `add a peer named ${name} or correct the name (defined: ${[...peerNames].join(", ") || "none"})`,
          ),
        );
    });
    (adv.spec.communities ?? []).forEach((c, j) => {
      const path = at("bgpAdvertisements", i, "spec", "communities", j);
      if (c.includes(":")) {
        if (!isCommunity(c))
          out.push(
            error(
              path,
              `"${c}" is not a BGP community`,
              "write AS:value (each 0-65535, e.g. 64512:100) or large:global:local1:local2 (each 0-4294967295)",
            ),
          );
      } else if (!aliases.has(c)) {
        out.push(
          error(
            path,
            `community alias "${c}" is not defined in config.communities`,
            `define it in a Community (config.communities[].spec.communities[].name) or write the value, e.g. 64512:100`,
          ),
        );
      }
    });
  });
  return out;
}

export function isCommunity(text: string): boolean {
  const std = /^([0-9]{1,5}):([0-9]{1,5})$/.exec(text);
  if (std) return Number(std[1]) <= 65535 && Number(std[2]) <= 65535;
  const large = /^large:([0-9]{1,10}):([0-9]{1,10}):([0-9]{1,10})$/.exec(text);
  return !!large && large.slice(1).every((n) => Number(n) <= 4294967295);
}

function localPrefConflicts(config: ConfigValues, pools: ParsedPool[]): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<string, { adv: number; pref: number; peers: Set<string> | "all" }[]>();
  config.bgpAdvertisements.forEach((adv, i) => {
    if (adv.spec.localPref === undefined) return;
    const peers = adv.spec.peers?.length ? new Set(adv.spec.peers) : ("all" as const);
    for (const pool of advertisedPools(adv.spec, pools)) {
      const earlier = seen.get(pool.name) ?? [];
      for (const e of earlier) {
        const shared =
          e.peers === "all" ||
          peers === "all" ||
          [...peers].some((p) => e.peers !== "all" && e.peers.has(p));
        if (shared && e.pref !== adv.spec.localPref)
          out.push(
            error(
              at("bgpAdvertisements", i, "spec", "localPref"),
              `localPref ${adv.spec.localPref} for pool ${pool.name} conflicts with localPref ${e.pref} of config.bgpAdvertisements[${e.adv}] to the same peers`,
              "use one localPref per pool and peer",
            ),
          );
      }
      seen.set(pool.name, [...earlier, { adv: i, pref: adv.spec.localPref, peers }]);
    }
  });
  return out;
}

function aggregation(config: ConfigValues, pools: ParsedPool[]): Problem[] {
  const out: Problem[] = [];
  config.bgpAdvertisements.forEach((adv, i) => {
    for (const pool of advertisedPools(adv.spec, pools)) {
      for (const r of pool.ranges) {
        const len = /\/(\d+)$/.exec(r.text.trim())?.[1];
        if (len === undefined) continue;
        const field = r.range.family === 4 ? "aggregationLength" : "aggregationLengthV6";
        const agg =
          r.range.family === 4 ? adv.spec.aggregationLength : adv.spec.aggregationLengthV6;
        if (agg !== undefined && agg < Number(len))
          out.push(
            error(
              at("bgpAdvertisements", i, "spec", field),
              `${field} ${agg} is shorter than the prefix of "${r.text}" in pool ${pool.name}: the aggregate would cover addresses outside the pool`,
              `use a ${field} of at least ${len}`,
            ),
          );
      }
    }
  });
  return out;
}

function unannounced(config: ConfigValues, pools: ParsedPool[]): Problem[] {
  const ads = [...config.l2Advertisements, ...config.bgpAdvertisements];
  return pools
    .filter((p) => !ads.some((a) => advertisedPools(a.spec, pools).includes(p)))
    .map((p) =>
      warning(
        at("ipAddressPools", p.index),
        `pool ${p.name} is in no L2Advertisement or BGPAdvertisement: its addresses are assigned but never announced`,
        "add the pool to config.l2Advertisements or config.bgpAdvertisements",
      ),
    );
}

function peers(config: ConfigValues, namespace: string): Problem[] {
  const out: Problem[] = [];
  const bfd = new Set(config.bfdProfiles.map((b) => b.name));
  const endpoints = new Map<string, number>();
  config.bgpPeers.forEach((peer, i) => {
    const s = peer.spec;
    const p = (...rest: PathSegment[]) => at("bgpPeers", i, "spec", ...rest);
    if ((s.peerASN === undefined) === (s.dynamicASN === undefined))
      out.push(
        error(
          p("peerASN"),
          "set exactly one of peerASN and dynamicASN",
          "keep peerASN for a fixed AS, dynamicASN: internal|external otherwise",
        ),
      );
    if ((s.peerAddress === undefined) === (s.interface === undefined))
      out.push(
        error(
          p("peerAddress"),
          "set exactly one of peerAddress and interface",
          "keep peerAddress, or interface for BGP unnumbered",
        ),
      );
    const addr = s.peerAddress === undefined ? undefined : parseIp(s.peerAddress);
    if (s.peerAddress !== undefined && !addr)
      out.push(
        error(
          p("peerAddress"),
          `"${s.peerAddress}" is not an IP address`,
          "write the router's IPv4 or IPv6 address, e.g. 192.0.2.1",
        ),
      );
    if (s.sourceAddress !== undefined) {
      const src = parseIp(s.sourceAddress);
      if (!src)
        out.push(
          error(
            p("sourceAddress"),
            `"${s.sourceAddress}" is not an IP address`,
            "write a local IPv4 or IPv6 address",
          ),
        );
      else if (addr && src.family !== addr.family)
        out.push(
          error(
            p("sourceAddress"),
            "sourceAddress and peerAddress are of different IP families",
            "use a source address of the peer's family",
          ),
        );
    }
    if (s.routerID !== undefined && parseIp(s.routerID)?.family !== 4)
      out.push(
        error(
          p("routerID"),
          `"${s.routerID}" is not an IPv4 address`,
          "BGP identifiers are 32-bit: write an IPv4 address such as 192.0.2.10",
        ),
      );
    if (s.password !== undefined)
      out.push(
        error(
          p("password"),
          "a plain-text BGP password would be committed to Git and readable by anyone who can read the BGPPeer",
          "store it in a Secret (type kubernetes.io/basic-auth, key 'password') and set passwordSecret.name",
        ),
      );
    if (s.passwordSecret?.namespace !== undefined && s.passwordSecret.namespace !== namespace)
      out.push(
        error(
          p("passwordSecret", "namespace"),
          `the speaker reads Secrets only in ${namespace}`,
          `create the Secret in ${namespace} and drop passwordSecret.namespace`,
        ),
      );
    if (s.bfdProfile !== undefined && !bfd.has(s.bfdProfile))
      out.push(
        error(
          p("bfdProfile"),
          `BFDProfile "${s.bfdProfile}" is not defined in config.bfdProfiles`,
          `add a BFD profile named ${s.bfdProfile} or correct the name`,
        ),
      );
    const hold = s.holdTime === undefined ? 90_000 : durationMs(s.holdTime);
    if (
      s.holdTime !== undefined &&
      (hold === undefined || (hold !== 0 && (hold < 3000 || hold > 65_535_000)))
    )
      out.push(
        error(
          p("holdTime"),
          `holdTime ${s.holdTime} is outside 0s or 3s..65535s (RFC 4271)`,
          "use 0s (no keepalives) or 3s to 65535s, e.g. 90s",
        ),
      );
    if (s.keepaliveTime !== undefined && hold !== undefined) {
      const ka = durationMs(s.keepaliveTime);
      if (ka === undefined || ka > hold)
        out.push(
          error(
            p("keepaliveTime"),
            `keepaliveTime ${s.keepaliveTime} exceeds the hold time (${s.holdTime ?? "90s by default"})`,
            "use at most a third of the hold time, e.g. 30s for 90s",
          ),
        );
    }
    if (s.connectTime !== undefined) {
      const ct = durationMs(s.connectTime);
      if (ct === undefined || ct < 1000 || ct > 65_535_000)
        out.push(
          error(
            p("connectTime"),
            `connectTime ${s.connectTime} is outside 1s..65535s`,
            "use e.g. 10s",
          ),
        );
    }
    const key = `${addr ? `${addr.family}:${addr.value}` : (s.interface ?? "")}|${s.peerPort ?? 179}|${s.vrf ?? ""}`;
    const j = endpoints.get(key);
    if (j !== undefined)
      out.push(
        error(
          p("peerAddress"),
          `config.bgpPeers[${j}] already peers with this address and port`,
          "remove the duplicate peer, or use nodeSelectors so each node has one session",
        ),
      );
    else endpoints.set(key, i);
  });
  return out;
}

const BFD_FIELDS = ["receiveInterval", "transmitInterval", "echoInterval"] as const;

function bfdProfiles(config: ConfigValues): Problem[] {
  const out: Problem[] = [];
  config.bfdProfiles.forEach((profile, i) => {
    for (const field of BFD_FIELDS) {
      const v: unknown = profile.spec[field];
      if (v === undefined) continue;
      const ms = typeof v === "number" ? v : typeof v === "string" ? durationMs(v) : undefined;
      if (ms === undefined || ms < 10 || ms > 60_000)
        out.push(
          error(
            at("bfdProfiles", i, "spec", field),
            `${JSON.stringify(v)} is outside 10ms..60s`,
            "write milliseconds (300) or a duration (300ms) between 10ms and 60s",
          ),
        );
    }
  });
  return out;
}

export function configProblems(config: ConfigValues, namespace: string): Problem[] {
  const out: Problem[] = [...duplicateNames(config)];
  const pools = parsePools(config, out);
  return [
    ...out,
    ...overlaps(pools),
    ...advertisementRefs(config, pools),
    ...localPrefConflicts(config, pools),
    ...aggregation(config, pools),
    ...unannounced(config, pools),
    ...peers(config, namespace),
    ...bfdProfiles(config),
  ];
}
