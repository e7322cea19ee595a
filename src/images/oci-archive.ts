// Reads an OCI archive (what `buildah push … oci-archive:` writes): the manifest digest, the
// image configuration, and the sizes a registry stores (compressed) and a node unpacks.
import { createReadStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { run } from "../sys/proc.js";

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageConfig {
  created?: string;
  config: {
    User?: string;
    Entrypoint?: string[];
    Cmd?: string[];
    Env?: string[];
    WorkingDir?: string;
    Labels?: Record<string, string>;
  };
  rootfs: { type: string; diff_ids: string[] };
  history?: unknown[];
}

export interface ArchiveInfo {
  /** Digest of the image manifest: what `image@sha256:…` references. */
  digest: string;
  refName?: string;
  config: ImageConfig;
  /** Manifest + config + compressed layers: what a registry stores and a node pulls. */
  compressedSize: number;
  /** Sum of the uncompressed layers. */
  uncompressedSize: number;
  layers: number;
}

const blobPath = (dir: string, digest: string): string => {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m?.[1]) throw new Error(`unsupported digest "${digest}"`);
  return join(dir, "blobs", "sha256", m[1]);
};

/** Uncompressed length and sha256 of a gzip (or plain tar) layer blob. */
async function layerContent(path: string, mediaType: string): Promise<[number, string]> {
  const h = createHash("sha256");
  let n = 0;
  const source = createReadStream(path);
  const stream = mediaType.endsWith("+gzip") ? source.pipe(createGunzip()) : source;
  for await (const chunk of stream) {
    n += (chunk as Buffer).length;
    h.update(chunk as Buffer);
  }
  return [n, `sha256:${h.digest("hex")}`];
}

export async function inspectArchive(archive: string, tarTool = "tar"): Promise<ArchiveInfo> {
  const dir = mkdtempSync(join(tmpdir(), "metallb-ts-oci-"));
  try {
    await run([tarTool, "-xf", archive, "-C", dir], { timeoutMs: 5 * 60_000 });
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
      manifests: Descriptor[];
    };
    if (index.manifests.length !== 1 || !index.manifests[0]) {
      throw new Error(`${archive}: expected one manifest, found ${index.manifests.length}`);
    }
    const top = index.manifests[0];
    const manifest = JSON.parse(readFileSync(blobPath(dir, top.digest), "utf8")) as {
      config: Descriptor;
      layers: Descriptor[];
    };
    const config = JSON.parse(
      readFileSync(blobPath(dir, manifest.config.digest), "utf8"),
    ) as ImageConfig;
    let uncompressed = 0;
    for (const [i, layer] of manifest.layers.entries()) {
      const [size, diffId] = await layerContent(blobPath(dir, layer.digest), layer.mediaType);
      if (diffId !== config.rootfs.diff_ids[i]) {
        throw new Error(`${archive}: layer ${i} does not match its diff_id (corrupt archive)`);
      }
      uncompressed += size;
    }
    const refName = top.annotations?.["org.opencontainers.image.ref.name"];
    return {
      digest: top.digest,
      ...(refName ? { refName } : {}),
      config,
      compressedSize:
        top.size + manifest.config.size + manifest.layers.reduce((s, l) => s + l.size, 0),
      uncompressedSize: uncompressed,
      layers: manifest.layers.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
