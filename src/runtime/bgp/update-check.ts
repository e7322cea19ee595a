// The checks on a received UPDATE that depend on the session, after the codec's syntax checks:
// eBGP rules (first AS, no LOCAL_PREF / route-reflection attributes, no confederation segments),
// AS 0 (RFC 7607), next-hop sanity (RFC 4271 §6.3), and the AS4_PATH/AS4_AGGREGATOR handling of
// RFC 6793. Problems follow RFC 7606: attribute discard or treat-as-withdraw.
import { parseIp } from "../../api/formats/ip.js";
import { AS_TRANS, mergeAs4Path } from "./codec/as-path.js";
import type { AttributeProblem, PathAttribute } from "./codec/attributes.js";
import type { DecodedUpdate } from "./codec/update.js";

export interface ReceiveContext {
  ibgp: boolean;
  peerAsn: number;
  fourOctetAs: boolean;
}

type Of<T extends PathAttribute["type"]> = Extract<PathAttribute, { type: T }>;

function badNextHop(text: string): string | undefined {
  const ip = parseIp(text);
  if (!ip) return "is not an address";
  if (ip.family === 4) {
    const v = ip.value;
    if (v === 0n) return "is 0.0.0.0";
    if (v >> 28n === 0xen) return "is a multicast address";
    if (v === 0xffffffffn) return "is the broadcast address";
    return undefined;
  }
  if (ip.value === 0n) return "is the unspecified address";
  if (ip.value >> 120n === 0xffn) return "is a multicast address";
  return undefined;
}

export function checkReceivedUpdate(d: DecodedUpdate, ctx: ReceiveContext): DecodedUpdate {
  const problems: AttributeProblem[] = [...d.problems];
  let attrs = [...d.message.attributes];
  const get = <T extends PathAttribute["type"]>(t: T) =>
    attrs.find((a): a is Of<T> => a.type === t);
  const discard = (type: PathAttribute["type"], attribute: string, reason: string) => {
    if (!get(type)) return;
    attrs = attrs.filter((a) => a.type !== type);
    problems.push({ attribute, action: "discard", reason });
  };
  const withdraw = (attribute: string, reason: string) =>
    problems.push({ attribute, action: "treat-as-withdraw", reason });

  if (ctx.fourOctetAs) {
    discard("as4Path", "AS4_PATH", "sent by a 4-octet AS speaker (RFC 6793 §4.1)");
    discard("as4Aggregator", "AS4_AGGREGATOR", "sent by a 4-octet AS speaker (RFC 6793 §4.1)");
  } else {
    const agg = get("aggregator");
    const agg4 = get("as4Aggregator");
    const as4Path = get("as4Path");
    const asPath = get("asPath");
    if (agg && agg4 && agg.asn !== AS_TRANS) {
      // RFC 6793 §4.2.3: a 2-octet speaker aggregated after the 4-octet one: AS4_* are stale.
      attrs = attrs.filter((a) => a.type !== "as4Aggregator" && a.type !== "as4Path");
    } else {
      if (agg && agg4) {
        attrs = attrs.map((a) =>
          a === agg ? { ...agg, asn: agg4.asn, address: agg4.address } : a,
        );
      }
      if (asPath && as4Path) {
        const merged = mergeAs4Path(asPath.segments, as4Path.segments);
        attrs = attrs.map((a) => (a === asPath ? { type: "asPath", segments: merged } : a));
      }
      attrs = attrs.filter((a) => a.type !== "as4Aggregator" && a.type !== "as4Path");
    }
  }

  if (!ctx.ibgp) {
    discard("localPref", "LOCAL_PREF", "received from an external peer (RFC 7606 §7.5)");
    discard("originatorId", "ORIGINATOR_ID", "received from an external peer (RFC 7606 §7.9)");
    discard("clusterList", "CLUSTER_LIST", "received from an external peer (RFC 7606 §7.10)");
  }

  const reach = get("mpReach");
  const announces = d.message.nlri.length > 0 || (reach?.nlri.length ?? 0) > 0;
  if (announces) {
    const segments = get("asPath")?.segments ?? [];
    if (segments.some((s) => s.asns.includes(0))) withdraw("AS_PATH", "contains AS 0 (RFC 7607)");
    if (!ctx.ibgp) {
      if (segments.some((s) => s.type.startsWith("confed"))) {
        withdraw("AS_PATH", "confederation segments from an external peer");
      }
      const first = segments[0];
      if (!first || first.type !== "sequence" || first.asns[0] !== ctx.peerAsn) {
        withdraw("AS_PATH", `does not start with the peer's AS ${ctx.peerAsn} (RFC 4271 §6.3)`);
      }
    }
    const nh = get("nextHop");
    const nhProblem = d.message.nlri.length && nh ? badNextHop(nh.nextHop) : undefined;
    if (nh && nhProblem) withdraw("NEXT_HOP", `${nh.nextHop} ${nhProblem}`);
    const global = reach?.nlri.length ? reach.nextHops[0] : undefined;
    const mpProblem = global ? badNextHop(global) : undefined;
    if (global && mpProblem) withdraw("MP_REACH_NLRI", `next hop ${global} ${mpProblem}`);
  }

  const verdict = problems.some((p) => p.action === "treat-as-withdraw")
    ? "treat-as-withdraw"
    : "accept";
  return { type: "update", message: { ...d.message, attributes: attrs }, verdict, problems };
}
