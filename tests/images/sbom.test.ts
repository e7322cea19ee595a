// The SBOM of each image exists (in dist/images and inside the image) and lists what the image
// really contains: the Node.js that runs in it, every Debian package its dpkg status records,
// every npm package bundled, each with its version.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { parseControl, field } from "../../src/images/dpkg.js";
import type { SpdxDocument } from "../../src/images/sbom.js";
import { builtImage, container, type Container } from "./harness.js";

const { repo } = inject("images");

const packageVersions = (doc: SpdxDocument): Map<string, string> =>
  new Map(doc.packages.map((p) => [p.name, p.versionInfo]));

describe.each(["metallb-ts-controller", "metallb-ts-speaker"])("SBOM of %s", (name) => {
  const image = builtImage(name);
  const sbom = JSON.parse(readFileSync(join(repo, image.sbom), "utf8")) as SpdxDocument;
  const versions = packageVersions(sbom);
  let ctr: Container;

  beforeAll(async () => {
    ctr = await container(image, `sbom-${name.replace("metallb-ts-", "")}`);
  });
  afterAll(async () => {
    await ctr?.remove();
  });

  it("is an SPDX 2.3 document describing the image, the same one the image carries", () => {
    expect(sbom.spdxVersion).toBe("SPDX-2.3");
    expect(sbom.documentDescribes).toEqual(["SPDXRef-Image"]);
    const inside = readFileSync(join(ctr.root, "usr/share/doc/metallb-ts/sbom.spdx.json"), "utf8");
    expect(JSON.parse(inside)).toEqual(sbom);
  });

  it("lists the Node.js version that runs in the image", async () => {
    const running = (await ctr.run(["/usr/local/bin/node", "--version"])).trim();
    expect(running).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(versions.get("node")).toBe(running.slice(1));
  });

  it("lists every Debian package of the image's dpkg status with its version", () => {
    const status = readFileSync(join(ctr.root, "var/lib/dpkg/status"), "utf8");
    const installed = status
      .trim()
      .split("\n\n")
      .map((stanza) => parseControl(stanza));
    const names = installed.map((c) => field(c, "Package"));
    expect(names).toEqual(expect.arrayContaining(["libc6", "libstdc++6", "libgcc-s1"]));
    for (const c of installed) {
      expect(versions.get(field(c, "Package") ?? "")).toBe(field(c, "Version"));
    }
  });

  it("lists every npm package bundled, @kubernetes/client-node 1.x among them", () => {
    // esbuild marks where each module of the bundle came from ("// node_modules/yaml/dist/…").
    const bundle = readFileSync(join(ctr.root, "opt/metallb-ts/metallb-ts.mjs"), "utf8");
    const bundled = new Set(
      [...bundle.matchAll(/^\/\/ (?:.*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map(
        (m) => m[1],
      ),
    );
    expect(bundled.size).toBeGreaterThan(5);
    for (const dep of bundled) expect(versions.has(dep ?? ""), dep).toBe(true);
    const clientNode = versions.get("@kubernetes/client-node");
    expect(clientNode).toMatch(/^1\./);
    const installed = JSON.parse(
      readFileSync(join(repo, "node_modules/@kubernetes/client-node/package.json"), "utf8"),
    ) as { version: string };
    expect(clientNode).toBe(installed.version);
    expect(versions.get("metallb-ts")).toBe(image.tag);
    for (const dep of ["yaml", "@sinclair/typebox"]) expect(versions.has(dep)).toBe(true);
  });
});
