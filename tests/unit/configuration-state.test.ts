import { describe, expect, it } from "vitest";
import { problem } from "../../src/model/index.js";
import { configurationState } from "../../src/runtime/kube/configuration-state.js";

const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-01T00:05:00Z");
const peerProblem = problem("BGPPeer", "p", [], "vrf is not available", "");

describe("speaker ConfigurationState", () => {
  it("Valid without problems; Invalid lists each problem once, sorted", () => {
    expect(configurationState([], undefined, t0)).toMatchObject({
      result: "Valid",
      errorSummary: "",
      conditions: [{ type: "Valid", status: "True", reason: "ConfigurationApplied" }],
    });
    const invalid = configurationState(
      [peerProblem, problem("BGPAdvertisement", "a", ["spec", "localPref"], "x", "y"), peerProblem],
      undefined,
      t0,
    );
    expect(invalid.result).toBe("Invalid");
    expect(invalid.errorSummary).toBe(
      "BGPAdvertisement a: spec.localPref: x; y\nBGPPeer p: vrf is not available",
    );
    expect(invalid.conditions?.[0]).toMatchObject({
      status: "False",
      reason: "InvalidConfiguration",
    });
  });

  it("the transition time moves only when the verdict changes", () => {
    const first = configurationState([peerProblem], undefined, t0);
    const same = configurationState([peerProblem, peerProblem], first, t1);
    expect(same.conditions?.[0]?.lastTransitionTime).toBe(t0.toISOString());
    const fixed = configurationState([], same, t1);
    expect(fixed.conditions?.[0]?.lastTransitionTime).toBe(t1.toISOString());
  });
});
