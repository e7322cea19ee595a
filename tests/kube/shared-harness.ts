// The controller harness bound to the test suite's shared API server (the global setup's). Kept
// apart from controller-harness.ts, which benchmarks import outside vitest.
import { inject } from "vitest";
import { kubeConfigFor } from "./client.js";
import { makeHarness, type Harness } from "../../src/lab/kube/harness.js";

export const sharedHarness = (): Harness =>
  makeHarness(
    kubeConfigFor("admin"),
    inject("kube").kubeconfigs.controller,
    inject("controllerCommand"),
  );
