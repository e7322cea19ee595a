// The archives are pushed with skopeo (README, docs/images.md); a copy keeps the manifest digest
// images.json records, so a digest-pinned reference holds after the push. An OCI layout stands
// in for the registry (same copy path, no registry here).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { run } from "../../src/sys/proc.js";
import { systemTool } from "../../src/sys/tools.js";

const { repo, manifest } = inject("images");
const dir = mkdtempSync(join(tmpdir(), "metallb-ts-img-push-"));

describe("pushing the archives with skopeo", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(manifest.images.map((i) => [i.name, i] as const))(
    "%s keeps its digest",
    async (_, image) => {
      const digestFile = join(dir, `${image.name}.digest`);
      await run(
        [
          systemTool("skopeo"),
          "copy",
          "--preserve-digests",
          "--digestfile",
          digestFile,
          `oci-archive:${join(repo, image.archive)}`,
          `oci:${join(dir, "layout")}:${image.reference}`,
        ],
        { timeoutMs: 120_000 },
      );
      expect(readFileSync(digestFile, "utf8").trim()).toBe(image.digest);
    },
  );
});
