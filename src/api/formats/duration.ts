// Go duration text ("1m30s", "300ms") as milliseconds, the form metav1.Duration serialises.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds, or undefined when the text is not a Go duration. */
export function durationMs(text: string): number | undefined {
  const re = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? NaN);
    end = (m.index ?? 0) + m[0].length;
  }
  return text.length > 0 && end === text.length && Number.isFinite(total) ? total : undefined;
}

/** A BFD interval (int-or-string: 300 or "300ms") in milliseconds; undefined when malformed. */
export function intervalMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  return typeof value === "string" ? durationMs(value) : undefined;
}
