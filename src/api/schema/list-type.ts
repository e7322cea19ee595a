// Kubernetes list semantics (`x-kubernetes-list-type`): `set` lists hold each item once, `map`
// lists hold one entry per key (`x-kubernetes-list-map-keys`). `atomic` lists may repeat.

export interface Repeat {
  /** The index of the repeat. */
  index: number;
  /** The index of the item it repeats. */
  first: number;
  /** The keys it repeats, for a map list. */
  keys?: Record<string, unknown>;
  message: string;
}

/** A stable text for a JSON value: object keys sorted, so that {a,b} equals {b,a}. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** Every item of `items` that a list of `type` (with map `keys`) may not hold. */
export function duplicateItems(
  type: string,
  items: readonly unknown[],
  keys: readonly string[],
): Repeat[] {
  if (type !== "set" && type !== "map") return [];
  const seen = new Map<string, number>();
  const out: Repeat[] = [];
  items.forEach((item, index) => {
    const picked =
      type === "map"
        ? Object.fromEntries(keys.map((k) => [k, (item as Record<string, unknown> | null)?.[k]]))
        : undefined;
    const id = canonical(picked ?? item);
    const first = seen.get(id);
    if (first === undefined) {
      seen.set(id, index);
      return;
    }
    out.push(
      picked
        ? {
            index,
            first,
            keys: picked,
            message: `${keys.map((k) => `${k} ${JSON.stringify(picked[k])}`).join(", ")} is used again (first at [${first}])`,
          }
        : {
            index,
            first,
            message: `${JSON.stringify(item)} is listed again (first at [${first}])`,
          },
    );
  });
  return out;
}
