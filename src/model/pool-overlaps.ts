// Cross-object checks that a webhook would have refused; we report them instead (pool
// condition, Warning event, ConfigurationState), so a GitOps install never blocks on a webhook.
import { formatIp } from "../api/formats/ip.js";
import { rangesOverlap, type IpRange } from "../api/formats/ip.js";
import type { Pool } from "./pool.js";

const show = (r: IpRange) =>
  `${formatIp({ family: r.family, value: r.first })}-${formatIp({ family: r.family, value: r.last })}`;

/** For each pool that overlaps another, one message per overlap (both sides get one). */
export function poolOverlaps(pools: readonly Pool[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (name: string, msg: string) => out.set(name, [...(out.get(name) ?? []), msg]);
  const sorted = [...pools].sort((a, b) => (a.name < b.name ? -1 : 1));
  sorted.forEach((a, i) => {
    for (const b of sorted.slice(i + 1)) {
      for (const ra of a.ranges) {
        for (const rb of b.ranges) {
          if (!rangesOverlap(ra, rb)) continue;
          add(a.name, `${show(ra)} overlaps ${show(rb)} of IPAddressPool ${b.name}`);
          add(b.name, `${show(rb)} overlaps ${show(ra)} of IPAddressPool ${a.name}`);
        }
      }
    }
  });
  return out;
}
