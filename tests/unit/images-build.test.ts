// The build's bad-input paths and its pure decisions: labels from the checkout, the commit time,
// named step failures with their fix, archives that appear only when complete.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImages } from "../../src/images/build.js";
import { IMAGES } from "../../src/images/config.js";
import {
  isoTime,
  ociLabels,
  repositoryUrl,
  sourceDateEpoch,
  type SourceInfo,
} from "../../src/images/source-info.js";
import { BuildStepError, step, writeAtomically } from "../../src/images/step.js";
import { run } from "../../src/sys/proc.js";

const scratch = mkdtempSync(join(tmpdir(), "metallb-ts-images-unit-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const quiet = (): void => undefined;

describe("source information", () => {
  it("takes SOURCE_DATE_EPOCH over the commit time, and refuses a malformed one", () => {
    expect(sourceDateEpoch(undefined, "1795440555\n")).toBe(1795440555);
    expect(sourceDateEpoch("1700000000", "1795440555")).toBe(1700000000);
    expect(() => sourceDateEpoch("yesterday", "1795440555")).toThrow(
      'SOURCE_DATE_EPOCH="yesterday" is not whole seconds since 1970; unset it',
    );
  });

  it("formats the commit time as the OCI created label wants it", () => {
    expect(isoTime(1795440555)).toBe("2026-11-23T13:29:15Z");
  });

  it("normalises package.json repository forms to a URL", () => {
    expect(repositoryUrl("git+https://example.org/metallb-ts.git")).toBe(
      "https://example.org/metallb-ts",
    );
    expect(repositoryUrl({ type: "git", url: "https://example.org/x" })).toBe(
      "https://example.org/x",
    );
    expect(repositoryUrl(undefined)).toBeUndefined();
    expect(repositoryUrl("")).toBeUndefined();
  });

  it("labels version, revision, licence, created, and the source only when known", () => {
    const src: SourceInfo = { version: "0.1.0", license: "Apache-2.0", revision: "abc", epoch: 0 };
    expect(ociLabels(src, "metallb-ts-controller")).toEqual({
      "org.opencontainers.image.title": "metallb-ts-controller",
      "org.opencontainers.image.version": "0.1.0",
      "org.opencontainers.image.revision": "abc",
      "org.opencontainers.image.licenses": "Apache-2.0",
      "org.opencontainers.image.created": "1970-01-01T00:00:00Z",
    });
    expect(
      ociLabels({ ...src, source: "https://example.org/x" }, "t")[
        "org.opencontainers.image.source"
      ],
    ).toBe("https://example.org/x");
  });
});

describe("build steps", () => {
  it("stops at a missing tool, naming the step, the tool and the fix", async () => {
    const empty = mkdtempSync(join(scratch, "bin-"));
    const err = await buildImages({ repo: scratch, log: quiet, toolDirs: [empty] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BuildStepError);
    const e = err as BuildStepError;
    expect(e.step).toBe("check build tools");
    expect(e.message).toContain("buildah not found");
    expect(e.fix).toContain("npm run provision");
    expect(e.message).toMatch(
      /^images: step "check build tools" failed: .*\nfix: run `npm run provision`/s,
    );
  });

  it("carries a failed command and the tail of its stderr", async () => {
    const err = await step(quiet, "probe", "do the fix", () =>
      run(["sh", "-c", "for i in $(seq 1 40); do echo line$i >&2; done; exit 3"]),
    ).catch((e: unknown) => e);
    const e = err as BuildStepError;
    expect(e.step).toBe("probe");
    expect(e.detail).toContain("sh -c");
    expect(e.detail).toContain("line40");
    expect(e.detail).not.toContain("line15\n");
    expect(e.fix).toBe("do the fix");
  });

  it("renames an output into place only when it was produced completely", async () => {
    const path = join(scratch, "image.oci.tar");
    await expect(
      writeAtomically(path, (tmp) => {
        writeFileSync(tmp, "half an archive");
        return Promise.reject(new Error("push failed"));
      }),
    ).rejects.toThrow("push failed");
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(scratch).filter((f) => f.includes("image.oci.tar"))).toEqual([]);
    await writeAtomically(path, (tmp) => Promise.resolve(writeFileSync(tmp, "whole")));
    expect(existsSync(path)).toBe(true);
  });
});

describe("the images' Node options", () => {
  // The lab, tests and benchmarks run the bundle with IMAGES[].nodeOptions; the image with its
  // Containerfile's ENV. A drift would make them measure a different process.
  for (const image of IMAGES)
    it(`${image.containerfile} sets NODE_OPTIONS to the ${image.component}'s nodeOptions`, () => {
      const text = readFileSync(join(import.meta.dirname, "../..", image.containerfile), "utf8");
      const env = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(text);
      expect(env?.[1]).toBe(image.nodeOptions);
    });
});
