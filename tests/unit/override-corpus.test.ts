// Every bad override in tests/fixtures/overrides/bad is rejected with the message its first line
// expects (`# expect: …`), naming the file, the YAML path and the fix; every good one passes.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultValues } from "../../src/api/values/defaults.js";
import { hardenedValues } from "../../src/api/values/hardened.js";
import type { Values } from "../../src/api/values/schema.js";
import { mergeValues } from "../../src/gitops/validate/merge.js";
import { checkOverride, reportLines } from "../../src/gitops/validate/override-check.js";

const dir = join(import.meta.dirname, "../fixtures/overrides");
const base = mergeValues(defaultValues("0.1.0"), hardenedValues("0.1.0")) as Values;
const files = (kind: "bad" | "good") =>
  readdirSync(join(dir, kind))
    .filter((f) => f.endsWith(".yaml"))
    .sort();

function check(kind: "bad" | "good", file: string) {
  const text = readFileSync(join(dir, kind, file), "utf8");
  const report = checkOverride(text, base, "metallb-system");
  const errors = report.problems.filter((p) => p.severity === "error");
  return { text, errors, lines: reportLines(file, report) };
}

describe("bad overrides", () => {
  it("the corpus holds at least 25 different mistakes", () => {
    expect(files("bad").length).toBeGreaterThanOrEqual(25);
  });

  it.each(files("bad"))("%s is rejected with the expected message", (file) => {
    const { text, errors, lines } = check("bad", file);
    const expected = /^# expect: (.*)$/m.exec(text)?.[1];
    expect(expected, `${file} needs a '# expect:' first line`).toBeDefined();
    expect(errors.length).toBeGreaterThan(0);
    const errorLines = lines.filter((l) => !l.includes(": warning: "));
    expect(
      errorLines.some((l) => l.includes(expected ?? "")),
      errorLines.join("\n"),
    ).toBe(true);
    for (const line of errorLines) {
      // file:line:path: problem — fix
      expect(line).toMatch(/^[\w.-]+\.yaml:\d+:[^:]+: .+ — .+$/);
    }
  });
});

describe("good overrides", () => {
  it("the corpus holds at least 5", () => {
    expect(files("good").length).toBeGreaterThanOrEqual(5);
  });

  it.each(files("good"))("%s is accepted", (file) => {
    expect(check("good", file).errors).toEqual([]);
  });

  it.each(["lab-l2", "lab-bgp"])("the example cluster %s is accepted", (cluster) => {
    const path = join(dir, `../../../overlays/${cluster}/services/metallb/override-values.yaml`);
    const report = checkOverride(readFileSync(path, "utf8"), base, "metallb-system");
    expect(report.problems).toEqual([]);
  });
});
