#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx); the OCI images ship a bundle of the same entry point
// (src/runtime/bin.ts) instead.
import { register } from "tsx/esm/api";

register();
await import("../src/runtime/bin.ts");
