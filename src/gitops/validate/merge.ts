// Helm's way of layering values files: maps merge key by key, anything else (lists included)
// replaces, and null deletes the key.
type Json = unknown;

const isMap = (v: Json): v is Record<string, Json> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function mergeValues(base: Json, over: Json): Json {
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Record<string, Json> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete out[key];
    // defineProperty: a key named "__proto__" (valid YAML) is data, not the prototype.
    else
      Object.defineProperty(out, key, {
        value: mergeValues(Object.hasOwn(base, key) ? base[key] : undefined, value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}
