// The IP allocator: which addresses each LoadBalancer Service holds. Pure (no I/O) and
// deterministic: the same pools and the same sequence of requests give the same addresses.
//
// Order of choice (documented in docs/controller.md):
//   1. an address the Service already holds, while it stays valid (stability);
//   2. the requested addresses (metallb.io/loadBalancerIPs or spec.loadBalancerIP);
//   3. pools in comparePools order; in each, an address already shared under the Service's
//      sharing key, else the first free address walking spec.addresses as written (entry by
//      entry, lowest first within an entry, as upstream walks them). Finding it costs
//      O(log addresses in use) per entry, never O(pool size), so a /8 or a /64 pool is as cheap
//      as a /28.
// A dual-stack Service's addresses are listed IPv4 first whatever its spec.ipFamilies order, as
// upstream lists them (tools compare these lists).
import {
  formatIp,
  isBuggyIp,
  rangeContains,
  type Family,
  type Ip,
  type IpRange,
} from "../../../api/formats/ip.js";
import {
  comparePools,
  poolContains,
  poolFamilies,
  poolServes,
  type Pool,
  type ServiceIdentity,
} from "../../../model/pool.js";
import { describeReservation } from "../../../model/reservation.js";

export interface Port {
  protocol: string;
  port: number;
}

export type FamilyPolicy = "SingleStack" | "PreferDualStack" | "RequireDualStack";

export interface ServiceRequest extends ServiceIdentity {
  /** namespace/name */
  key: string;
  /** spec.ipFamilies, in ClusterIP order. */
  families: Family[];
  familyPolicy: FamilyPolicy;
  requestedIps: Ip[];
  /** Where requestedIps come from when not from the usual annotation or field (for messages). */
  requestedBy?: string;
  /** metallb.io/address-pool */
  pool?: string;
  /** metallb.io/allow-shared-ip */
  sharingKey?: string;
  ports: Port[];
  trafficPolicy: "Cluster" | "Local";
  /** Canonical pod selector; Local Services may only share an IP when these are equal. */
  selectorKey: string;
}

/**
 * Upstream's backend key: the pod selector for externalTrafficPolicy Local, nothing for Cluster.
 * Sharers must have equal keys, so Cluster Services share with each other and with Local ones
 * that select no pods; Local ones share only when they select the same pods.
 */
const backendKey = (r: ServiceRequest): string =>
  r.trafficPolicy === "Local" ? r.selectorKey : "";

/** IPv4 before IPv6 (upstream's order); one address per family, so this is a total order. */
const byFamily = (ips: Ip[]): Ip[] => [...ips].sort((a, b) => a.family - b.family);

export interface Assignment {
  ips: Ip[];
  pool: string;
}

export type AllocationFailure =
  | "PoolNotFound"
  | "PoolDoesNotServe"
  | "NoPool"
  | "NotInPool"
  | "FamilyMismatch"
  | "Conflict"
  | "Exhausted";

export type Result =
  { ok: true; assignment: Assignment } | { ok: false; reason: AllocationFailure; message: string };

/** Why addresses are not valid for a Service. */
export interface Refusal {
  reason: AllocationFailure;
  message: string;
  /**
   * The Service itself asks for something else (other requested addresses, another pool, other
   * IP families): upstream moves it without a ClearAssignment event.
   */
  changedRequest?: true;
}

// Hex: a BigInt's decimal text costs far more, and this runs per address on every check.
const ipKey = (ip: Ip): string => `${ip.family}/${ip.value.toString(16)}`;
const refuse = (reason: AllocationFailure, message: string): Refusal => ({ reason, message });
const changed = (reason: AllocationFailure, message: string): Refusal => ({
  reason,
  message,
  changedRequest: true,
});

/** A pool hands out ip: it contains it, and it is not an .0/.255 one the pool avoids. */
const poolAllows = (pool: Pool, ip: Ip): boolean =>
  poolContains(pool, ip) && !(pool.avoidBuggyIPs && isBuggyIp(ip));

/**
 * The family sets to try, in upstream's order: PreferDualStack takes a pool with both families
 * over an earlier one with one, then the primary family (spec.ipFamilies[0]), then the other.
 */
function familyChoices(req: ServiceRequest, wanted: Family[]): Family[][] {
  if (req.familyPolicy !== "PreferDualStack" || wanted.length < 2) return [wanted];
  return [wanted, ...wanted.map((f) => [f])];
}
const fail = (reason: AllocationFailure, message: string): Result => ({
  ok: false,
  reason,
  message,
});
const isRefusal = (v: Pool | Refusal): v is Refusal => "reason" in v;

/** Why two Services cannot hold the same address, or undefined when they can. */
export function sharingConflict(a: ServiceRequest, b: ServiceRequest): string | undefined {
  if (!a.sharingKey || a.sharingKey !== b.sharingKey) {
    return `it is held by ${b.key} and the two do not carry the same metallb.io/allow-shared-ip key`;
  }
  if (backendKey(a) !== backendKey(b)) {
    return `it is held by ${b.key}; a Service with externalTrafficPolicy Local shares an IP only with Services that select the same pods (a Cluster one selecting none counts as the same)`;
  }
  const clash = a.ports.find((p) =>
    b.ports.some((q) => q.protocol === p.protocol && q.port === p.port),
  );
  if (clash) return `port ${clash.protocol}/${clash.port} is already used on it by ${b.key}`;
  return undefined;
}

/** Sorted set of bigints (addresses in use of one family). */
class SortedValues {
  private readonly values: bigint[] = [];

  /** Index of the first value >= v. */
  lowerBound(v: bigint): number {
    let lo = 0;
    let hi = this.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.values[mid] as bigint) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  at(i: number): bigint | undefined {
    return this.values[i];
  }
  insert(v: bigint): void {
    const i = this.lowerBound(v);
    if (this.values[i] !== v) this.values.splice(i, 0, v);
  }
  remove(v: bigint): void {
    const i = this.lowerBound(v);
    if (this.values[i] === v) this.values.splice(i, 1);
  }
  /** How many values lie in [first, last]. */
  countIn(first: bigint, last: bigint): number {
    return this.lowerBound(last + 1n) - this.lowerBound(first);
  }
}

export interface PoolUsage {
  assignedIPv4: number;
  assignedIPv6: number;
  availableIPv4: bigint;
  availableIPv6: bigint;
}

export class Allocator {
  private pools: Pool[] = [];
  private readonly services = new Map<string, { req: ServiceRequest; assignment: Assignment }>();
  private readonly holders = new Map<string, Set<string>>();
  private readonly used: Record<Family, SortedValues> = {
    4: new SortedValues(),
    6: new SortedValues(),
  };
  /** The IPv4 addresses in use that end in .0/.255 (held through requests or other pools). */
  private readonly usedBuggy = new SortedValues();

  /**
   * Replaces the pools. Services whose addresses are no longer in a pool that serves them are
   * released and their keys returned (the caller reassigns them); every other Service keeps its
   * addresses.
   */
  setPools(pools: Pool[]): string[] {
    this.pools = [...pools].sort(comparePools);
    const released: string[] = [];
    for (const key of [...this.services.keys()].sort()) {
      const entry = this.services.get(key);
      if (!entry) continue;
      const pool = this.poolFor(entry.req, entry.assignment.ips);
      if (isRefusal(pool)) {
        this.release(key);
        released.push(key);
      } else {
        entry.assignment = { ips: entry.assignment.ips, pool: pool.name };
      }
    }
    return released;
  }

  getPools(): readonly Pool[] {
    return this.pools;
  }

  assignment(key: string): Assignment | undefined {
    return this.services.get(key)?.assignment;
  }

  /** Every assignment, by Service key. */
  assignments(): Map<string, Assignment> {
    return new Map([...this.services].map(([k, v]) => [k, v.assignment]));
  }

  /** How many pools the allocator hands addresses out of. */
  poolCount(): number {
    return this.pools.length;
  }

  /** Claims exactly these addresses for the Service (e.g. from its status after a restart). */
  claim(req: ServiceRequest, ips: Ip[]): Result {
    const previous = this.services.get(req.key);
    if (previous) this.release(req.key);
    const checked = this.check(req, ips);
    if (isRefusal(checked)) {
      if (previous) this.commit(previous.req, previous.assignment);
      return { ok: false, ...checked };
    }
    const assignment = { ips, pool: checked.name };
    this.commit(req, assignment);
    return { ok: true, assignment };
  }

  /**
   * Keeps the Service's current addresses while they remain valid (a PreferDualStack Service
   * holding one family gets the other from the same pool once it has one, as upstream), else
   * allocates anew.
   */
  assign(req: ServiceRequest): Result {
    const current = this.services.get(req.key);
    if (current) {
      // Checked while still held (the check ignores the Service's own hold): releasing and
      // re-committing unchanged addresses would rewrite the sorted in-use sets every reconcile.
      const pool = this.check(req, current.assignment.ips);
      if (!isRefusal(pool)) {
        const ips = [
          ...current.assignment.ips,
          ...this.missingFamilies(req, pool, current.assignment.ips),
        ];
        const assignment = { ips: byFamily(ips), pool: pool.name };
        this.commit(req, assignment);
        return { ok: true, assignment };
      }
      this.release(req.key);
    }
    return this.allocate(req);
  }

  /**
   * Why the Service may not hold these addresses now (the pool that contains them is gone, no
   * longer serves it, another Service holds them, or the Service asks for others), or undefined.
   */
  refusal(req: ServiceRequest, ips: Ip[]): Refusal | undefined {
    const r = this.check(req, ips);
    return isRefusal(r) ? r : undefined;
  }

  private missingFamilies(req: ServiceRequest, pool: Pool, held: Ip[]): Ip[] {
    if (req.familyPolicy !== "PreferDualStack" || req.requestedIps.length) return [];
    const out: Ip[] = [];
    for (const family of req.families) {
      if (held.some((ip) => ip.family === family)) continue;
      const ip = this.firstUsable(req, pool, family);
      if (ip) out.push(ip);
    }
    return out;
  }

  release(key: string): void {
    const entry = this.services.get(key);
    if (!entry) return;
    this.services.delete(key);
    for (const ip of entry.assignment.ips) {
      const set = this.holders.get(ipKey(ip));
      set?.delete(key);
      if (set && set.size === 0) {
        this.holders.delete(ipKey(ip));
        this.used[ip.family].remove(ip.value);
        if (isBuggyIp(ip)) this.usedBuggy.remove(ip.value);
      }
    }
  }

  usage(poolName: string): PoolUsage | undefined {
    const pool = this.pools.find((p) => p.name === poolName);
    if (!pool) return undefined;
    const count: Record<Family, { assigned: number; size: bigint }> = {
      4: { assigned: 0, size: 0n },
      6: { assigned: 0, size: 0n },
    };
    for (const r of pool.ranges) {
      count[r.family].assigned += this.used[r.family].countIn(r.first, r.last);
      count[r.family].size +=
        r.last - r.first + 1n - (pool.avoidBuggyIPs ? buggyCount(r.family, r.first, r.last) : 0n);
    }
    const avail = (f: Family) => {
      const a = count[f].size - BigInt(count[f].assigned);
      return a < 0n ? 0n : a;
    };
    return {
      assignedIPv4: count[4].assigned,
      assignedIPv6: count[6].assigned,
      availableIPv4: avail(4),
      availableIPv6: avail(6),
    };
  }

  private commit(req: ServiceRequest, assignment: Assignment): void {
    this.services.set(req.key, { req, assignment });
    for (const ip of assignment.ips) {
      const k = ipKey(ip);
      let set = this.holders.get(k);
      if (!set) {
        set = new Set();
        this.holders.set(k, set);
        this.used[ip.family].insert(ip.value);
        if (isBuggyIp(ip)) this.usedBuggy.insert(ip.value);
      }
      set.add(req.key);
    }
  }

  /** Why another Service's hold on ip excludes req, or undefined. */
  private heldConflict(req: ServiceRequest, ip: Ip): string | undefined {
    for (const other of this.holders.get(ipKey(ip)) ?? []) {
      if (other === req.key) continue;
      const o = this.services.get(other);
      const why = o && sharingConflict(req, o.req);
      if (why) return `${formatIp(ip)}: ${why}`;
    }
    return undefined;
  }

  /** The pool that makes ips valid for req, or why there is none (sharing not considered). */
  private poolFor(req: ServiceRequest, ips: Ip[]): Pool | Refusal {
    const families = ips.map((ip) => ip.family);
    if (new Set(families).size !== ips.length || ips.length === 0) {
      return changed("FamilyMismatch", "a Service holds one address per IP family");
    }
    if (families.some((f) => !req.families.includes(f))) {
      return changed(
        "FamilyMismatch",
        `the Service's ipFamilies are ${req.families.map((f) => `IPv${f}`).join(",")}`,
      );
    }
    if (req.familyPolicy === "SingleStack" && ips.length !== 1) {
      return changed("FamilyMismatch", "a SingleStack Service takes one address");
    }
    if (req.familyPolicy === "RequireDualStack" && ips.length !== 2) {
      return changed("FamilyMismatch", "RequireDualStack needs an IPv4 and an IPv6 address");
    }
    if (req.requestedIps.length) {
      const want = new Set(req.requestedIps.map(ipKey));
      if (want.size !== ips.length || ips.some((ip) => !want.has(ipKey(ip)))) {
        return changed("Conflict", "the Service requests other addresses");
      }
    }
    const text = () => ips.map(formatIp).join(",");
    const pools = this.pools.filter((p) => ips.every((ip) => poolAllows(p, ip)));
    if (!pools.length) return refuse("NotInPool", `${text()} is not allowed by any IPAddressPool`);
    const named = req.pool ? pools.filter((p) => p.name === req.pool) : pools;
    if (!named.length) return changed("NotInPool", `${text()} is not in pool ${req.pool}`);
    // autoAssign only keeps a pool out of automatic choices: what a Service holds stays valid
    // (an autoAssign pool still names the addresses when two pools hold them).
    const serving = named.filter((p) => poolServes(p, req));
    const reserved = named[0] && describeReservation(named[0]);
    return (
      serving.find((p) => p.autoAssign || req.pool || req.requestedIps.length) ??
      serving[0] ??
      refuse(
        "PoolDoesNotServe",
        reserved
          ? `${text()} is ${reserved} (pool ${named[0]?.name}); this Service is not that Gateway's`
          : `pool ${named[0]?.name} does not serve this Service (serviceAllocation)`,
      )
    );
  }

  private check(req: ServiceRequest, ips: Ip[]): Pool | Refusal {
    const pool = this.poolFor(req, ips);
    if (isRefusal(pool)) return pool;
    for (const ip of ips) {
      const why = this.heldConflict(req, ip);
      if (why) return refuse("Conflict", why);
    }
    return pool;
  }

  private allocate(req: ServiceRequest): Result {
    const wanted = req.familyPolicy === "SingleStack" ? req.families.slice(0, 1) : req.families;
    if (req.requestedIps.length) {
      const asked = new Set(req.requestedIps.map((ip) => ip.family));
      if (asked.size !== wanted.length || wanted.some((f) => !asked.has(f))) {
        return fail(
          "FamilyMismatch",
          `cannot assign ${req.requestedIps.map(formatIp).join(",")}: the Service's IP families are ${wanted.map((f) => `IPv${f}`).join("+")}; request one address of each`,
        );
      }
      const pool = this.check(req, req.requestedIps);
      if (isRefusal(pool)) {
        const from = req.requestedBy ? ` from ${req.requestedBy}` : "";
        return fail(
          pool.reason,
          `cannot assign ${req.requestedIps.map(formatIp).join(",")}${from}: ${pool.message}`,
        );
      }
      const assignment = { ips: byFamily(req.requestedIps), pool: pool.name };
      this.commit(req, assignment);
      return { ok: true, assignment };
    }
    let candidates: Pool[];
    if (req.pool) {
      const named = this.pools.find((p) => p.name === req.pool);
      if (!named)
        return fail("PoolNotFound", `pool ${req.pool} (metallb.io/address-pool) does not exist`);
      if (!poolServes(named, req)) {
        return fail(
          "PoolDoesNotServe",
          `pool ${req.pool} does not serve this Service (its serviceAllocation excludes it)`,
        );
      }
      candidates = [named];
    } else {
      candidates = this.pools.filter((p) => p.autoAssign && poolServes(p, req));
      if (!candidates.length)
        return fail("NoPool", "no IPAddressPool with autoAssign serves this Service");
    }
    // Upstream's two passes: pools whose serviceAllocation admits the Service, then the others.
    const passes = [
      candidates.filter((p) => p.allocation),
      candidates.filter((p) => !p.allocation),
    ];
    for (const pass of passes) {
      for (const families of familyChoices(req, wanted)) {
        for (const pool of pass) {
          const has = poolFamilies(pool);
          if (!families.every((f) => has.has(f))) continue;
          const ips = families.map((f) => this.firstUsable(req, pool, f));
          if (ips.some((ip) => !ip)) continue;
          const assignment = { ips: byFamily(ips as Ip[]), pool: pool.name };
          this.commit(req, assignment);
          return { ok: true, assignment };
        }
      }
    }
    return fail(
      "Exhausted",
      `no free ${wanted.map((f) => `IPv${f}`).join("+")} address in pool(s) ${candidates.map((p) => p.name).join(", ")}`,
    );
  }

  /**
   * The first address of the pool for req, walking its entries as written: in each entry the
   * lowest address that is free or that req may share (same sharing key, compatible backend,
   * no port in common) — a shareable address counts as free, as upstream walks them.
   */
  private firstUsable(req: ServiceRequest, pool: Pool, family: Family): Ip | undefined {
    for (const r of pool.ranges) {
      if (r.family !== family) continue;
      const free = this.firstFreeIn(r, pool.avoidBuggyIPs);
      const shared = this.sharedIn(req, pool, r);
      if (free && shared) return shared.value < free.value ? shared : free;
      if (free ?? shared) return free ?? shared;
    }
    return undefined;
  }

  /** The lowest address in range r held under req's sharing key that req may join. */
  private sharedIn(req: ServiceRequest, pool: Pool, r: IpRange): Ip | undefined {
    if (!req.sharingKey) return undefined;
    let best: Ip | undefined;
    for (const { req: other, assignment } of this.services.values()) {
      if (other.sharingKey !== req.sharingKey || other.key === req.key) continue;
      for (const ip of assignment.ips) {
        if (!rangeContains(r, ip) || !poolAllows(pool, ip) || (best && best.value <= ip.value))
          continue;
        if (!this.heldConflict(req, ip)) best = ip;
      }
    }
    return best;
  }

  /**
   * The lowest free address of range r, in O(log n): the number of free addresses in
   * [range start, v] only grows with v, so a binary search over the addresses in use finds the
   * first one with a free address below it.
   */
  private firstFreeIn(r: IpRange, avoid: boolean): Ip | undefined {
    const family = r.family;
    const used = this.used[family];
    const usable = (a: bigint, b: bigint) => b - a + 1n - (avoid ? buggyCount(family, a, b) : 0n);
    const usedUsable = (a: bigint, b: bigint) =>
      BigInt(used.countIn(a, b) - (avoid ? this.usedBuggy.countIn(a, b) : 0));
    const freeUpTo = (v: bigint) => usable(r.first, v) - usedUsable(r.first, v);
    const start = used.lowerBound(r.first);
    const count = used.countIn(r.first, r.last);
    // first index j whose used value has a free address at or below it
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (freeUpTo(used.at(start + mid) as bigint) > 0n) hi = mid;
      else lo = mid + 1;
    }
    // the gap starts right after the previous used value (or at the range start)
    let candidate = lo === 0 ? r.first : (used.at(start + lo - 1) as bigint) + 1n;
    const limit = lo < count ? (used.at(start + lo) as bigint) - 1n : r.last;
    while (candidate <= limit) {
      const ip = { family, value: candidate };
      if (!(avoid && isBuggyIp(ip))) return ip;
      candidate += 1n;
    }
    return undefined;
  }
}

/** How many IPv4 addresses in [first, last] end in .0 or .255. */
function buggyCount(family: Family, first: bigint, last: bigint): bigint {
  if (family !== 4) return 0n;
  const below = (v: bigint) => (v < 0n ? 0n : v / 256n + 1n); // values <= v with low byte 0
  const zeros = below(last) - below(first - 1n);
  const highs = below(last - 255n) - below(first - 256n);
  return zeros + highs;
}
