import { defineConfig } from "vitest/config";

// Five suites: pure units, tests against a real kube-apiserver (started once per run by the
// global setup), network tests in lab namespaces with real routers (root required), the GitOps
// loop under real Flux (each file its own cluster), and the OCI images (built by their global
// setup, reused while the inputs are unchanged; root required).
export default defineConfig({
  test: {
    reporters: ["default"],
    projects: [
      { test: { name: "unit", include: ["tests/unit/**/*.test.ts"] } },
      {
        test: {
          name: "kube",
          include: ["tests/kube/**/*.test.ts"],
          globalSetup: ["tests/kube/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: "net",
          include: ["tests/net/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "gitops",
          include: ["tests/gitops/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: "images",
          include: ["tests/images/**/*.test.ts"],
          globalSetup: ["tests/images/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
