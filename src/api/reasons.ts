// Every reason the runtime writes into an Event or a condition, in one table: upstream MetalLB's
// names where it has them (dashboards and alerts match on these), ours otherwise.
export const REASON = {
  // Events on Services (upstream's names and casing).
  ipAllocated: "IPAllocated",
  allocationFailed: "AllocationFailed",
  clearAssignment: "ClearAssignment",
  /** The Service holds addresses but its request cannot be read: kept as they are. */
  loadBalancerFailed: "LoadBalancerFailed",
  nodeAssigned: "nodeAssigned",
  deprecatedAnnotation: "deprecatedAnnotation",
  /** A Service's address lies in no pool: not announced. */
  addressNotInPool: "AddressNotInPool",
  /** The ip-allocated-from-pool annotation names another pool than the one holding the address. */
  poolAnnotationMismatch: "PoolAnnotationMismatch",
  /** Events and conditions on configuration objects and ConfigurationState. */
  invalidConfiguration: "InvalidConfiguration",
  /** An IPAddressPool's Valid condition when it conflicts with nothing. */
  valid: "Valid",
  /** A ConfigurationState's Valid condition when every object was applied. */
  configurationApplied: "ConfigurationApplied",
  /** A speaker ConfigurationState's HeartbeatPeers condition. */
  heartbeatPeersKnown: "HeartbeatPeersKnown",
  invalidHeartbeatAddress: "InvalidHeartbeatAddress",
  /** A speaker ConfigurationState's AddressesAnnounceable condition when nothing is held back. */
  addressesInPools: "AddressesInPools",
  /** A speaker ConfigurationState's BGPSessions condition. */
  sessionsEstablished: "SessionsEstablished",
  sessionsNotEstablished: "SessionsNotEstablished",
  // ServiceL2Status `Announced` condition.
  announced: "Announced",
  ipConflict: "IPConflict",
  /** Another host answered a first probe; checked again before it counts as a conflict. */
  probing: "Probing",
  interfaceMissing: "InterfaceMissing",
  noUsableInterface: "NoUsableInterface",
  interfaceFailed: "InterfaceFailed",
} as const;

export type Reason = (typeof REASON)[keyof typeof REASON];

/** Why an address this node owns is not (fully) announced (a ServiceL2Status reason). */
export type L2ProblemReason =
  | typeof REASON.ipConflict
  | typeof REASON.probing
  | typeof REASON.interfaceMissing
  | typeof REASON.noUsableInterface
  | typeof REASON.interfaceFailed;
