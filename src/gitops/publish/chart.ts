// Publishes charts/metallb-ts to an OCI registry for clusters.yaml's `chart.source: oci`: the
// chart packaged at a release version (no build metadata: OCI tags cannot carry `+`, and a
// release is one immutable version) and pushed with Helm. A version already in the registry is
// never overwritten: clusters pinned to it would silently change under Flux.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { helmChartPublished, helmPackage, helmPush, type OciAccess } from "../tools/helm.js";

export const CHART_NAME = "metallb-ts";
const RELEASE_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export interface PublishOptions extends OciAccess {
  chartDir: string;
  version: string;
}

export interface Published {
  /** oci://…/metallb-ts:<version> */
  reference: string;
  digest: string;
}

export class AlreadyPublishedError extends Error {
  constructor(reference: string) {
    super(
      `${reference} is already in the registry; a published version is never replaced, since ` +
        `clusters pinned to it would change without a commit. Fix: raise the version ` +
        `(package.json "version", then npm run generate) and publish again`,
    );
    this.name = "AlreadyPublishedError";
  }
}

export async function publishChart(o: PublishOptions): Promise<Published> {
  if (!RELEASE_VERSION.test(o.version))
    throw new Error(
      `chart version "${o.version}" is not a release version (MAJOR.MINOR.PATCH[-PRERELEASE], ` +
        `no "+build"). Fix: publish package.json's version, e.g. 0.1.0`,
    );
  if (!/^oci:\/\/[^/]+/.test(o.url))
    throw new Error(
      `registry "${o.url}" is not an oci:// URL. Fix: e.g. oci://registry.example.com/charts`,
    );
  const url = o.url.replace(/\/+$/, "");
  const reference = `${url}/${CHART_NAME}:${o.version}`;
  if (await helmChartPublished(CHART_NAME, o.version, { ...o, url }))
    throw new AlreadyPublishedError(reference);
  const dir = mkdtempSync(join(tmpdir(), "metallb-ts-chart-"));
  try {
    const archive = await helmPackage(o.chartDir, o.version, dir);
    return { reference, digest: await helmPush(archive, { ...o, url }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
