// What the images say about their source: version, git revision, the commit time that stands in
// for "now" in every timestamp (SOURCE_DATE_EPOCH), and the OCI labels built from them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../sys/proc.js";

export interface SourceInfo {
  version: string;
  license: string;
  /** git HEAD, with "-dirty" when tracked files differ from it. */
  revision: string;
  epoch: number;
  /** Repository URL for org.opencontainers.image.source; absent when none is known. */
  source?: string;
}

export const isoTime = (epoch: number): string =>
  new Date(epoch * 1000).toISOString().replace(/\.000Z$/, "Z");

/** SOURCE_DATE_EPOCH from the environment when set (validated), else the last commit's time. */
export function sourceDateEpoch(fromEnv: string | undefined, commitTime: string): number {
  const text = fromEnv ?? commitTime.trim();
  if (!/^\d+$/.test(text)) {
    throw new Error(
      fromEnv !== undefined
        ? `SOURCE_DATE_EPOCH="${fromEnv}" is not whole seconds since 1970; unset it to use the last commit's time`
        : `git gave "${commitTime.trim()}" as the last commit's time`,
    );
  }
  return Number(text);
}

/** A repository URL from package.json's `repository` (string or {url}), git+ and .git removed. */
export function repositoryUrl(repository: unknown): string | undefined {
  const raw =
    typeof repository === "string"
      ? repository
      : (repository as { url?: unknown } | undefined)?.url?.toString();
  return raw?.replace(/^git\+/, "").replace(/\.git$/, "") || undefined;
}

export async function readSourceInfo(
  repo: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SourceInfo> {
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
    version: string;
    license: string;
    repository?: unknown;
  };
  const git = (...args: string[]) => run(["git", "-C", repo, ...args]);
  const head = (await git("rev-parse", "HEAD")).trim();
  const dirty = (await git("status", "--porcelain", "--untracked-files=no")).trim() !== "";
  const epoch = sourceDateEpoch(env.SOURCE_DATE_EPOCH, await git("log", "-1", "--format=%ct"));
  const remote = await git("remote", "get-url", "origin").catch(() => "");
  const source =
    env.METALLB_TS_SOURCE_URL || repositoryUrl(pkg.repository) || repositoryUrl(remote.trim());
  return {
    version: pkg.version,
    license: pkg.license,
    revision: dirty ? `${head}-dirty` : head,
    epoch,
    ...(source ? { source } : {}),
  };
}

/** The org.opencontainers.image.* annotations every image carries as labels. */
export function ociLabels(s: SourceInfo, title: string): Record<string, string> {
  return {
    "org.opencontainers.image.title": title,
    "org.opencontainers.image.version": s.version,
    "org.opencontainers.image.revision": s.revision,
    "org.opencontainers.image.licenses": s.license,
    "org.opencontainers.image.created": isoTime(s.epoch),
    ...(s.source ? { "org.opencontainers.image.source": s.source } : {}),
  };
}
