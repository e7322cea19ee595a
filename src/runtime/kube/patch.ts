// Small wire facts every writer shares: merge-patch requests and metav1.MicroTime text.
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";

/** Request options for a JSON merge patch (RFC 7386). */
export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** metav1.MicroTime wants six fractional digits; Date.toISOString gives three. */
export const microTime = (ms: number): string =>
  new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
