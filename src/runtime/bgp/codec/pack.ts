// Packing many prefixes into as few UPDATE messages as fit in 4096 octets: IPv4 in the NLRI and
// withdrawn fields, IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760).
import type { Family } from "../../../api/formats/ip.js";
import type { CodecContext, PathAttribute } from "./attributes.js";
import { MAX_MESSAGE_LENGTH } from "./header.js";
import { AFI, SAFI_UNICAST, prefixWireLength, type Prefix } from "./prefix.js";
import { attributesLength, type UpdateMessage } from "./update.js";

/** Header, withdrawn-routes length and total-attribute length fields. */
const UPDATE_OVERHEAD = 19 + 2 + 2;
/** Flags, type and a two-octet length: the largest attribute header. */
const ATTR_HEADER = 4;
/** AFI + SAFI of an MP_UNREACH_NLRI. */
const MP_UNREACH_FIXED = 3;

/** Splits prefixes into runs whose encoded size stays within `room` octets. */
function chunk(prefixes: Prefix[], room: number): Prefix[][] {
  const out: Prefix[][] = [];
  let current: Prefix[] = [];
  let used = 0;
  for (const p of prefixes) {
    const size = prefixWireLength(p);
    if (used + size > room && current.length) {
      out.push(current);
      current = [];
      used = 0;
    }
    current.push(p);
    used += size;
  }
  if (current.length) out.push(current);
  return out;
}

export function packWithdrawals(family: Family, prefixes: Prefix[]): UpdateMessage[] {
  if (family === 4) {
    return chunk(prefixes, MAX_MESSAGE_LENGTH - UPDATE_OVERHEAD).map((withdrawn) => ({
      type: "update",
      withdrawn,
      attributes: [],
      nlri: [],
    }));
  }
  const room = MAX_MESSAGE_LENGTH - UPDATE_OVERHEAD - ATTR_HEADER - MP_UNREACH_FIXED;
  return chunk(prefixes, room).map((withdrawn) => ({
    type: "update",
    withdrawn: [],
    attributes: [{ type: "mpUnreach", afi: AFI[6], safi: SAFI_UNICAST, withdrawn }],
    nlri: [],
  }));
}

/**
 * Announcements sharing one attribute set. For IPv6 the attributes must contain an MP_REACH_NLRI
 * with the next hops and no NLRI; each message gets its share of the prefixes in it.
 */
export function packAnnouncements(
  family: Family,
  attributes: PathAttribute[],
  prefixes: Prefix[],
  ctx: CodecContext,
): UpdateMessage[] {
  // The MP_REACH header may grow from a one- to a two-octet length once filled: count the octet.
  const room = MAX_MESSAGE_LENGTH - UPDATE_OVERHEAD - attributesLength(attributes, ctx) - 1;
  if (room <= 0) throw new Error("path attributes leave no room for NLRI in a 4096-octet UPDATE");
  return chunk(prefixes, room).map((nlri) =>
    family === 4
      ? { type: "update", withdrawn: [], attributes, nlri }
      : {
          type: "update",
          withdrawn: [],
          attributes: attributes.map((a) => (a.type === "mpReach" ? { ...a, nlri } : a)),
          nlri: [],
        },
  );
}
