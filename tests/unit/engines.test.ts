// The project's declared Node range must be true for every locked dependency: the oldest Node it
// admits satisfies each package's own `engines.node` (a dependency that needs Node 22 while we
// declare 20 is how npm warnings turn into crashes on the machines).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, { engines?: { node?: string } | string[] }>;
};

describe("declared engines", () => {
  it("the oldest Node we admit satisfies every locked package's engines", () => {
    const oldest = semver.minVersion(pkg.engines.node)?.version ?? "";
    expect(oldest).toMatch(/^20\./);
    const refused = Object.entries(lock.packages)
      .map(([path, info]) => [path, Array.isArray(info.engines) ? undefined : info.engines?.node])
      .filter(([, range]) => range && !semver.satisfies(oldest, range))
      .map(([path, range]) => `${path} needs node ${range}`);
    expect(refused).toEqual([]);
  });

  it("this machine's Node is inside the declared range", () => {
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
  });
});
