// The network lab: topologies, real routers and client helpers.
export { Lab, sweepStaleLabs } from "./lab.js";
export type { Topology, HostSpec, LinkSpec } from "./topology.js";
export { startFrr, type FrrRouter } from "./routers/frr.js";
export { startBird } from "./routers/bird.js";
export { startGobgp, type GobgpRouter } from "./routers/gobgp.js";
export type { BgpRouter, BgpRouterSpec, BgpNeighbor, RibPath } from "./routers/router.js";
export * as client from "./client.js";
