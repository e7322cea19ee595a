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
    else out[key] = mergeValues(base[key], value);
  }
  return out;
}
