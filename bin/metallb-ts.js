#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx): the runtime's commands and the GitOps tooling. The
// OCI images ship a bundle of the runtime's entry point (src/runtime/bin.ts) instead.
import { register } from "tsx/esm/api";

register();
await import("../src/bin.ts");
