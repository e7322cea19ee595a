// The process bin/metallb-ts.js runs (through tsx) in a checkout.
import { main } from "./cli.js";
import { runProcess } from "./runtime/process.js";

await runProcess(main);
