// The committed CRDs and JSON Schemas are exactly what src/api generates.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GENERATED_DIRS, renderGenerated } from "../../src/api/generate/render.js";

const root = join(import.meta.dirname, "../..");
const files = renderGenerated();

describe("generated files", () => {
  it.each([...files.keys()])("%s is up to date (fix: npm run generate)", (path) => {
    expect(readFileSync(join(root, path), "utf8")).toBe(files.get(path));
  });

  it("no stale generated file is left behind", () => {
    const onDisk = GENERATED_DIRS.flatMap((d) =>
      readdirSync(join(root, d)).map((f) => `${d}/${f}`),
    );
    const expected = [...files.keys()].filter((f) =>
      GENERATED_DIRS.some((d) => f.startsWith(`${d}/`)),
    );
    expect(onDisk.sort()).toEqual(expected.sort());
  });
});
