// L2 owner election cost per pass at 5,000 Services × 50 nodes (issue 13): the first pass, which
// hashes every (address, node) pair as every pass did before scores were remembered, and a
// later pass with nothing changed. The election runs on the speaker's main loop, beside the
// heartbeats, so its cost bounds how long a pass can keep them waiting.
import {
  electOwners,
  forgetScores,
  type ElectionInput,
} from "../src/runtime/speaker/l2-election.js";
import { parseConfig } from "../src/model/index.js";
import type { Benchmark } from "./lib/benchmark.js";
import { significant } from "./lib/figures.js";

const SERVICES = 5000;
const NODES = 50;
const ROUNDS = 5;

function input(): ElectionInput {
  const nodes = Array.from({ length: NODES }, (_, i) => ({
    name: `node-${i}`,
    labels: {},
    networkUnavailable: false,
  }));
  const config = parseConfig(
    {
      pools: [{ name: "p", spec: { addresses: ["2001:db8::/112"] } }],
      l2Advertisements: [{ name: "all", spec: {} }],
    },
    { namespace: "metallb-system" },
  );
  return {
    nodes,
    live: new Set(nodes.map((n) => n.name)),
    services: Array.from({ length: SERVICES }, (_, i) => ({
      key: `bench/svc-${i}`,
      ips: [`2001:db8::${i.toString(16)}`],
      pool: "p",
      trafficPolicy: "Cluster" as const,
      readyNodes: ["node-0"],
    })),
    advertisements: config.l2Advertisements,
  };
}

const ms = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

const bench: Benchmark = {
  name: "election",
  run(ctx) {
    const i = input();
    const cold: number[] = [];
    const warm: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      forgetScores();
      cold.push(ms(() => electOwners(i)));
      warm.push(ms(() => electOwners(i)));
    }
    const median = (xs: number[]) =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const params = { services: SERVICES, nodes: NODES, rounds: ROUNDS };
    ctx.record({
      name: "election-5000x50-first-pass",
      unit: "ms",
      value: significant(median(cold)),
      params,
    });
    ctx.record({
      name: "election-5000x50-later-pass",
      unit: "ms",
      value: significant(median(warm)),
      params,
    });
    return Promise.resolve();
  },
};

export default bench;
