// The native addon (src/runtime/native: N-API, C) for the speaker image. While its sources are
// not in the tree the speaker image is built without it; once they are, a built addon is
// required (tools/build-native.sh builds it when that script exists).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "../sys/proc.js";

export const NATIVE_DIR = "src/runtime/native";
/** Where node-gyp puts the addon; the loader looks for it beside the code that loads it. */
export const NATIVE_BUILD = "build/Release";

/** True when the addon's sources are part of this checkout. */
export const hasNativeSource = (repo: string): boolean =>
  existsSync(join(repo, NATIVE_DIR, "binding.gyp"));

/** Absolute paths of the built addon files (*.node); empty when the sources are absent. */
export async function nativeAddons(repo: string): Promise<string[]> {
  if (!hasNativeSource(repo)) return [];
  const script = join(repo, "tools/build-native.sh");
  if (existsSync(script)) await run(["bash", script], { timeoutMs: 10 * 60_000 });
  const dir = join(repo, NATIVE_DIR, NATIVE_BUILD);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".node")) : [];
  if (files.length === 0) {
    throw new Error(
      `${NATIVE_DIR}/binding.gyp exists but ${NATIVE_DIR}/${NATIVE_BUILD} holds no *.node file`,
    );
  }
  return files.sort().map((f) => join(dir, f));
}
