// The entry point esbuild bundles for the OCI images: the runtime's commands only.
import { main } from "./cli.js";
import { runProcess } from "./process.js";

await runProcess(main);
