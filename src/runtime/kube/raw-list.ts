// An informer's list, read the way client-go's reflector reads it: in pages (so a large cluster
// never arrives as one multi-megabyte body held three times over — text, parsed, typed) and as
// plain JSON (the typed client copies every object into generated classes with every optional
// field set, then the watch replaces them with plain objects anyway).
import type { KubeConfig, KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { ApiError, apiJson } from "./raw-http.js";

/** Objects per page; client-go's pager uses the same. */
export const PAGE_SIZE = 500;

export interface RawListOptions {
  fieldSelector?: string;
  timeoutMs: number;
  /** Objects per page (PAGE_SIZE unless a test wants more pages). */
  pageSize?: number;
  /** Applied to each object as its page arrives, before the next page is read. */
  trim?: <T extends KubernetesObject>(obj: T) => T;
}

/**
 * Lists every object at `path`. A continue token that expired mid-list (410) starts the list
 * again from the first page: the pages of one list must come from one snapshot.
 */
export async function rawList<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  opts: RawListOptions,
): Promise<KubernetesListObject<T>> {
  for (let restarts = 0; ; restarts++) {
    try {
      return await listPages<T>(kc, path, opts);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 410 || restarts >= 3) throw err;
    }
  }
}

async function listPages<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  opts: RawListOptions,
): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let cont: string | undefined;
  let first: KubernetesListObject<T> | undefined;
  do {
    const query = new URLSearchParams({ limit: String(opts.pageSize ?? PAGE_SIZE) });
    if (opts.fieldSelector) query.set("fieldSelector", opts.fieldSelector);
    if (cont) query.set("continue", cont);
    const page = await apiJson<KubernetesListObject<T>>(kc, {
      method: "GET",
      path: `${path}?${query.toString()}`,
      timeoutMs: opts.timeoutMs,
    });
    for (const obj of page.items ?? []) items.push(opts.trim ? opts.trim(obj) : obj);
    first ??= page;
    // Plain JSON spells it `continue` (the typed client renames it `_continue`).
    cont = (page.metadata as { continue?: string } | undefined)?.continue;
  } while (cont);
  // The resourceVersion to watch from is the snapshot's: every page carries the same one.
  return { ...first, items };
}
