// Capabilities carried in OPEN (RFC 5492): the ones this speaker uses are decoded into types;
// every other one is kept as raw bytes and ignored, as RFC 5492 asks.
import { BgpError, ErrorCode, UNSPECIFIC } from "../errors.js";
import type { Reader, Writer } from "./bytes.js";

export const CapabilityCode = {
  Multiprotocol: 1,
  RouteRefresh: 2,
  ExtendedMessage: 6,
  GracefulRestart: 64,
  FourOctetAs: 65,
  EnhancedRouteRefresh: 70,
} as const;

export interface AfiSafi {
  afi: number;
  safi: number;
}

export interface GracefulRestartFamily extends AfiSafi {
  /** F bit: forwarding state for this family was preserved across the restart. */
  forwarding: boolean;
}

export type Capability =
  | ({ kind: "multiprotocol" } & AfiSafi)
  | { kind: "routeRefresh" }
  | { kind: "extendedMessage" }
  | { kind: "enhancedRouteRefresh" }
  | { kind: "fourOctetAs"; asn: number }
  | {
      kind: "gracefulRestart";
      /** R bit: the sender has restarted. */
      restarting: boolean;
      /** N bit (RFC 8538): the sender supports graceful restart on NOTIFICATION. */
      notification: boolean;
      /** Seconds (12 bits). */
      restartTime: number;
      families: GracefulRestartFamily[];
    }
  | { kind: "unknown"; code: number; value: Buffer };

function malformed(name: string, length: number, expected: string): BgpError {
  return new BgpError(
    ErrorCode.Open,
    UNSPECIFIC,
    `${name} capability has length ${length}, expected ${expected}`,
  );
}

/** Decodes the capabilities of one Capabilities optional parameter (type 2). */
export function readCapabilities(r: Reader): Capability[] {
  const out: Capability[] = [];
  while (r.remaining > 0) {
    const code = r.u8("capability code");
    const length = r.u8("capability length");
    const v = r.sub(length, `capability ${code} value`);
    switch (code) {
      case CapabilityCode.Multiprotocol: {
        if (length !== 4) throw malformed("multiprotocol", length, "4");
        const afi = v.u16("afi");
        v.u8("reserved");
        out.push({ kind: "multiprotocol", afi, safi: v.u8("safi") });
        break;
      }
      case CapabilityCode.RouteRefresh:
      case CapabilityCode.ExtendedMessage:
      case CapabilityCode.EnhancedRouteRefresh: {
        const kind =
          code === CapabilityCode.RouteRefresh
            ? "routeRefresh"
            : code === CapabilityCode.ExtendedMessage
              ? "extendedMessage"
              : "enhancedRouteRefresh";
        if (length !== 0) throw malformed(kind, length, "0");
        out.push({ kind });
        break;
      }
      case CapabilityCode.FourOctetAs:
        if (length !== 4) throw malformed("4-octet AS", length, "4");
        out.push({ kind: "fourOctetAs", asn: v.u32("asn") });
        break;
      case CapabilityCode.GracefulRestart: {
        if (length < 2 || (length - 2) % 4 !== 0) {
          throw malformed("graceful restart", length, "2 + 4n");
        }
        const word = v.u16("restart flags and time");
        const families: GracefulRestartFamily[] = [];
        while (v.remaining > 0) {
          const afi = v.u16("afi");
          const safi = v.u8("safi");
          families.push({ afi, safi, forwarding: (v.u8("flags") & 0x80) !== 0 });
        }
        out.push({
          kind: "gracefulRestart",
          restarting: (word & 0x8000) !== 0,
          notification: (word & 0x4000) !== 0,
          restartTime: word & 0x0fff,
          families,
        });
        break;
      }
      default:
        out.push({ kind: "unknown", code, value: Buffer.from(v.bytes(length, "value")) });
    }
  }
  return out;
}

export function writeCapability(w: Writer, c: Capability): void {
  switch (c.kind) {
    case "multiprotocol":
      w.u8(CapabilityCode.Multiprotocol).u8(4).u16(c.afi).u8(0).u8(c.safi);
      return;
    case "routeRefresh":
      w.u8(CapabilityCode.RouteRefresh).u8(0);
      return;
    case "extendedMessage":
      w.u8(CapabilityCode.ExtendedMessage).u8(0);
      return;
    case "enhancedRouteRefresh":
      w.u8(CapabilityCode.EnhancedRouteRefresh).u8(0);
      return;
    case "fourOctetAs":
      w.u8(CapabilityCode.FourOctetAs).u8(4).u32(c.asn);
      return;
    case "gracefulRestart":
      w.u8(CapabilityCode.GracefulRestart).u8(2 + 4 * c.families.length);
      w.u16((c.restarting ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | (c.restartTime & 0xfff));
      for (const f of c.families)
        w.u16(f.afi)
          .u8(f.safi)
          .u8(f.forwarding ? 0x80 : 0);
      return;
    case "unknown":
      w.u8(c.code).u8(c.value.length).bytes(c.value);
  }
}
