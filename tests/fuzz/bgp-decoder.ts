// Long decoder fuzzing run: `npm run fuzz:bgp` (BGP_FUZZ_COUNT messages, default 1,000,000;
// BGP_FUZZ_SEED). Prints the outcome counts; exits non-zero on the first unexpected reaction.
import { fuzzDecoder } from "../unit/bgp-fuzz.js";

const count = Number(process.env.BGP_FUZZ_COUNT ?? 1_000_000);
const seed = Number(process.env.BGP_FUZZ_SEED ?? Date.now() % 2 ** 31);
const started = Date.now();
const stats = fuzzDecoder(seed, count);
const seconds = (Date.now() - started) / 1000;
console.log(
  JSON.stringify({ seed, messages: stats.messages, seconds, outcomes: stats.outcomes }, null, 2),
);
