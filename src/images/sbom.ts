// The SBOM of one image as an SPDX 2.3 JSON document: every Debian package of the base, Node.js,
// the application and every npm package bundled into it, each with its version and package URL.
// The FRR image has no Node.js and no npm packages: its application is the FRR agent.
import type { NpmPackage } from "./bundle.js";
import { DEBIAN } from "./config.js";
import { sha256 } from "./hash.js";
import type { DebSummary } from "./rootfs.js";

export interface SbomInput {
  image: string;
  tag: string;
  /** ISO time (SOURCE_DATE_EPOCH), so that the document is reproducible. */
  created: string;
  app: { name: string; version: string; license: string; revision: string; comment?: string };
  node?: { version: string; npmPackage: string };
  debian: DebSummary[];
  npm: NpmPackage[];
  /** File names of native addons shipped with the application. */
  native: string[];
}

interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo: string;
  downloadLocation: "NOASSERTION";
  filesAnalyzed: false;
  licenseConcluded: "NOASSERTION";
  licenseDeclared: string;
  supplier?: string;
  sourceInfo?: string;
  primaryPackagePurpose?: string;
  comment?: string;
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
}

export interface SpdxDocument {
  spdxVersion: "SPDX-2.3";
  dataLicense: "CC0-1.0";
  SPDXID: "SPDXRef-DOCUMENT";
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  documentDescribes: string[];
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}

/** purl components are percent-encoded (the "+" and ":" of Debian versions, npm's "@"). */
const enc = (s: string): string => encodeURIComponent(s);

function purl(locator: string): SpdxPackage["externalRefs"] {
  return [
    { referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: locator },
  ];
}

/** SPDX ids allow letters, digits, "." and "-" only. */
const spdxId = (kind: string, name: string): string =>
  `SPDXRef-${kind}-${name.replace(/[^A-Za-z0-9.-]/g, "-")}`;

function nodePackage(node: { version: string; npmPackage: string }): SpdxPackage {
  return {
    SPDXID: spdxId("Runtime", "node"),
    name: "node",
    versionInfo: node.version,
    downloadLocation: "NOASSERTION",
    filesAnalyzed: false,
    licenseConcluded: "NOASSERTION",
    licenseDeclared: "MIT",
    supplier: "Organization: OpenJS Foundation",
    primaryPackagePurpose: "APPLICATION",
    comment: `official Linux x64 build, from the npm package ${node.npmPackage}`,
    externalRefs: [
      ...(purl(`pkg:generic/node@${enc(node.version)}`) ?? []),
      ...(purl(`pkg:npm/${enc(node.npmPackage)}@${enc(node.version)}`) ?? []),
    ],
  };
}

export function spdxSbom(input: SbomInput): SpdxDocument {
  const imageId = "SPDXRef-Image";
  const packages: SpdxPackage[] = [
    {
      SPDXID: imageId,
      name: input.image,
      versionInfo: input.tag,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      licenseConcluded: "NOASSERTION",
      licenseDeclared: "NOASSERTION",
      primaryPackagePurpose: "CONTAINER",
      externalRefs: purl(`pkg:oci/${enc(input.image)}?tag=${enc(input.tag)}`),
    },
    {
      SPDXID: spdxId("App", input.app.name),
      name: input.app.name,
      versionInfo: input.app.version,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      licenseConcluded: "NOASSERTION",
      licenseDeclared: input.app.license,
      primaryPackagePurpose: "APPLICATION",
      sourceInfo: `git revision ${input.app.revision}`,
      ...(input.native.length
        ? { comment: `includes the native addon ${input.native.join(", ")} (N-API, C)` }
        : input.app.comment
          ? { comment: input.app.comment }
          : {}),
    },
    ...(input.node ? [nodePackage(input.node)] : []),
    ...input.debian.map((d): SpdxPackage => ({
      SPDXID: spdxId("Deb", d.name),
      name: d.name,
      versionInfo: d.version,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      licenseConcluded: "NOASSERTION",
      licenseDeclared: "NOASSERTION",
      supplier: "Organization: Debian",
      sourceInfo: `built from the Debian source package ${d.source} ${d.sourceVersion}`,
      externalRefs: purl(
        `pkg:deb/debian/${enc(d.name)}@${enc(d.version)}?arch=${enc(d.architecture)}` +
          `&distro=debian-${DEBIAN.release}`,
      ),
    })),
    ...input.npm.map((p): SpdxPackage => ({
      SPDXID: spdxId("Npm", `${p.name}-${p.version}`),
      name: p.name,
      versionInfo: p.version,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      licenseConcluded: "NOASSERTION",
      licenseDeclared: p.license,
      externalRefs: purl(`pkg:npm/${p.name.split("/").map(enc).join("/")}@${enc(p.version)}`),
    })),
  ];
  const ids = packages.map((p) => p.SPDXID);
  if (new Set(ids).size !== ids.length) {
    throw new Error(`SBOM for ${input.image}: two packages share an SPDX id`);
  }
  const body = {
    name: `${input.image}-${input.tag}`,
    creationInfo: { created: input.created, creators: ["Tool: metallb-ts npm run images"] },
    documentDescribes: [imageId],
    packages,
    relationships: packages.slice(1).map((p) => ({
      spdxElementId: imageId,
      relationshipType: "CONTAINS",
      relatedSpdxElement: p.SPDXID,
    })),
  };
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    // Unique per content, and the same for the same content (no random ids).
    documentNamespace: `urn:metallb-ts:sbom:${input.image}:${sha256(JSON.stringify(body))}`,
    ...body,
  };
}
