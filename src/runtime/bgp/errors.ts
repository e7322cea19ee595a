// BGP NOTIFICATION codes and subcodes (RFC 4271 §4.5, RFC 4486, RFC 5492, RFC 6608, RFC 7313,
// RFC 8538, RFC 9234) and the one error type the codec and the FSM raise: a BgpError always
// carries the NOTIFICATION that answers it.

export const ErrorCode = {
  MessageHeader: 1,
  Open: 2,
  Update: 3,
  HoldTimerExpired: 4,
  Fsm: 5,
  Cease: 6,
  RouteRefresh: 7,
} as const;

/** RFC 4271 §4.5: subcode 0 ("Unspecific") when no specific subcode fits. */
export const UNSPECIFIC = 0;

export const HeaderError = {
  ConnectionNotSynchronized: 1,
  BadMessageLength: 2,
  BadMessageType: 3,
} as const;

export const OpenError = {
  UnsupportedVersion: 1,
  BadPeerAs: 2,
  BadBgpIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  UnacceptableHoldTime: 6,
  UnsupportedCapability: 7,
} as const;

export const UpdateError = {
  MalformedAttributeList: 1,
  UnrecognizedWellKnownAttribute: 2,
  MissingWellKnownAttribute: 3,
  AttributeFlags: 4,
  AttributeLength: 5,
  InvalidOrigin: 6,
  InvalidNextHop: 8,
  OptionalAttribute: 9,
  InvalidNetworkField: 10,
  MalformedAsPath: 11,
} as const;

/** RFC 6608: which state received the unexpected message. */
export const FsmError = {
  UnexpectedInOpenSent: 1,
  UnexpectedInOpenConfirm: 2,
  UnexpectedInEstablished: 3,
} as const;

/** RFC 4486 (+ RFC 8538 Hard Reset). */
export const CeaseError = {
  MaximumPrefixes: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
} as const;

export const RouteRefreshError = { InvalidMessageLength: 1 } as const;

const CODE_NAMES: Record<number, string> = {
  1: "Message Header Error",
  2: "OPEN Message Error",
  3: "UPDATE Message Error",
  4: "Hold Timer Expired",
  5: "Finite State Machine Error",
  6: "Cease",
  7: "ROUTE-REFRESH Message Error",
};

const SUBCODE_NAMES: Record<number, Record<number, string>> = {
  1: { 1: "Connection Not Synchronized", 2: "Bad Message Length", 3: "Bad Message Type" },
  2: {
    1: "Unsupported Version Number",
    2: "Bad Peer AS",
    3: "Bad BGP Identifier",
    4: "Unsupported Optional Parameter",
    6: "Unacceptable Hold Time",
    7: "Unsupported Capability",
    11: "Role Mismatch",
  },
  3: {
    1: "Malformed Attribute List",
    2: "Unrecognized Well-known Attribute",
    3: "Missing Well-known Attribute",
    4: "Attribute Flags Error",
    5: "Attribute Length Error",
    6: "Invalid ORIGIN Attribute",
    8: "Invalid NEXT_HOP Attribute",
    9: "Optional Attribute Error",
    10: "Invalid Network Field",
    11: "Malformed AS_PATH",
  },
  5: {
    1: "Unexpected Message in OpenSent State",
    2: "Unexpected Message in OpenConfirm State",
    3: "Unexpected Message in Established State",
  },
  6: {
    1: "Maximum Number of Prefixes Reached",
    2: "Administrative Shutdown",
    3: "Peer De-configured",
    4: "Administrative Reset",
    5: "Connection Rejected",
    6: "Other Configuration Change",
    7: "Connection Collision Resolution",
    8: "Out of Resources",
    9: "Hard Reset",
  },
  7: { 1: "Invalid Message Length" },
};

/** "UPDATE Message Error / Malformed AS_PATH (3/11)" — for logs and session-down reasons. */
export function describeNotification(code: number, subcode: number): string {
  const name = CODE_NAMES[code] ?? `unknown error code`;
  const sub = subcode === UNSPECIFIC ? "Unspecific" : (SUBCODE_NAMES[code]?.[subcode] ?? "unknown");
  return `${name} / ${sub} (${code}/${subcode})`;
}

/**
 * A protocol error that ends the session: the NOTIFICATION (code, subcode, data) to send, and
 * what was wrong, in words, for the log.
 */
export class BgpError extends Error {
  constructor(
    readonly code: number,
    readonly subcode: number,
    detail: string,
    readonly data: Uint8Array = new Uint8Array(0),
  ) {
    super(`${describeNotification(code, subcode)}: ${detail}`);
    this.name = "BgpError";
  }
}
