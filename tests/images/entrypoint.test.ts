// Each image runs its entrypoint (`--version`, `--help`) under `buildah run`, and carries the
// configuration the chart and the registry rely on: user, entrypoint and default command, OCI
// labels from the checkout, the tag and digest recorded in images.json.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { inspectArchive } from "../../src/images/oci-archive.js";
import { isoTime, readSourceInfo } from "../../src/images/source-info.js";
import { builtImage, container, type Container } from "./harness.js";

const { repo, manifest } = inject("images");
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string };

const expected = {
  "metallb-ts-controller": { user: "65532:65532", cmd: ["controller"] },
  "metallb-ts-speaker": { user: "0:0", cmd: ["speaker"] },
} as const;

describe.each(Object.entries(expected))("%s", (name, want) => {
  const image = builtImage(name);
  let ctr: Container;

  beforeAll(async () => {
    ctr = await container(image, name.replace("metallb-ts-", ""));
  });
  afterAll(async () => {
    await ctr?.remove();
  });

  it("runs `--version` and `--help` through its entrypoint, exit status 0", async () => {
    const entrypoint = ctr.config.config.Entrypoint ?? [];
    expect(entrypoint).toEqual(["/usr/local/bin/metallb-ts"]);
    // run() rejects on a non-zero exit status.
    expect(await ctr.run([...entrypoint, "--version"])).toBe(`metallb-ts ${pkg.version}\n`);
    expect(await ctr.run([...entrypoint, "--help"])).toMatch(/^usage: metallb-ts <command>/);
  });

  it("defaults to its component's command, as its user", () => {
    expect(ctr.config.config.Cmd).toEqual(want.cmd);
    expect(ctr.config.config.User).toBe(want.user);
  });

  it("is tagged with the package version and recorded with its digest", async () => {
    expect(image.tag).toBe(pkg.version);
    expect(image.reference).toBe(`${name}:${pkg.version}`);
    const info = await inspectArchive(join(repo, image.archive));
    expect(info.refName).toBe(image.reference);
    expect(info.digest).toBe(image.digest);
    expect(info.compressedSize).toBe(image.compressedSize);
    expect(info.uncompressedSize).toBe(image.uncompressedSize);
    expect(image.uncompressedSize).toBeGreaterThan(image.compressedSize);
  });

  it("carries OCI labels from the checkout and the commit time", async () => {
    const src = await readSourceInfo(repo);
    const labels = ctr.config.config.Labels ?? {};
    expect(labels).toMatchObject({
      "org.opencontainers.image.version": pkg.version,
      "org.opencontainers.image.revision": src.revision,
      "org.opencontainers.image.licenses": "Apache-2.0",
      "org.opencontainers.image.created": isoTime(src.epoch),
    });
    expect(labels["org.opencontainers.image.source"]).toBe(src.source);
    expect(ctr.config.created).toBe(isoTime(manifest.sourceDateEpoch));
  });
});
