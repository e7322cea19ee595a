// The configuration model's public surface: what the controller, the speaker and
// `metallb-ts validate` may use.
export {
  emptySelections,
  parseConfig,
  unannouncedPools,
  type Config,
  type ConfigResources,
  type ParseOptions,
  type Resource,
} from "./config.js";
export {
  overlapping,
  selectedPools,
  type BgpAdvertisement,
  type L2Advertisement,
} from "./advertisement.js";
export type { BfdProfile } from "./bfd.js";
export type { Aliases } from "./community.js";
export type { Md5Source, Peer } from "./peer.js";
export {
  comparePools,
  parsePool,
  poolContains,
  poolFamilies,
  poolOverlaps,
  poolServes,
  type Pool,
  type ServiceIdentity,
} from "./pool.js";
export {
  describeProblem,
  formatField,
  orderProblems,
  problem,
  problemLine,
  type ConfigKind,
  type PathSegment,
  type Problem,
  type Severity,
} from "./problem.js";
export { ruleProblems, ruleViolations, rulesOf, type RuleViolation } from "./rules.js";
export { notOurs, serviceKey } from "./service.js";
