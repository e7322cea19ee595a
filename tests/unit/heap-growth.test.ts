// The controller's heap-growth setting: set unless the node command line already sets one.
import { describe, expect, it } from "vitest";
import { heapGrowthFlag } from "../../src/runtime/heap-growth.js";

describe("heapGrowthFlag", () => {
  it("sets the factor when the command line does not", () => {
    expect(heapGrowthFlag(50, [])).toBe("--heap-growing-percent=50");
    expect(heapGrowthFlag(50, ["--max-semi-space-size=2", "--heap-growing-percentage=9"])).toBe(
      "--heap-growing-percent=50",
    );
  });

  it("leaves an operator's own setting alone, in either spelling", () => {
    expect(heapGrowthFlag(50, ["--heap-growing-percent=100"])).toBeUndefined();
    expect(heapGrowthFlag(50, ["--heap_growing_percent=0"])).toBeUndefined();
    expect(heapGrowthFlag(50, ["--heap-growing-percent"])).toBeUndefined();
  });
});
