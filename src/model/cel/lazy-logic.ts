// The top-level `||`/`&&` structure of a CEL expression, so that the engine compiles an operand
// only when evaluation reaches it. CEL parsing costs about 6 µs a character here, and the pool
// range rule carries a 17 kB IPv6 half that an IPv4 range never needs. The split is textual but
// conservative: any text it is not sure of (a ternary, a comment, a triple-quoted string) stays
// one leaf, compiled whole.

export type Skeleton = { op: "||" | "&&"; parts: Skeleton[] } | { leaf: string };

/** Indices of the top-level occurrences of `op`, or undefined when the text is not plain. */
function topLevel(text: string, op: "||" | "&&"): number[] | undefined {
  const at: number[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      if (text.startsWith(c.repeat(3), i)) return undefined;
      i++;
      while (i < text.length && text[i] !== c) i += text[i] === "\\" ? 2 : 1;
      if (i >= text.length) return undefined;
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (depth === 0 && (c === "?" || (c === "/" && text[i + 1] === "/"))) return undefined;
    else if (depth === 0 && text.startsWith(op, i)) {
      at.push(i);
      i++;
    }
    if (depth < 0) return undefined;
  }
  return depth === 0 ? at : undefined;
}

/** Whether the whole text is one parenthesised group: "(a) || (b)" is not, "((a) || b)" is. */
function wrapped(text: string): boolean {
  if (!text.startsWith("(") || !text.endsWith(")")) return false;
  const inner = topLevel(text.slice(1, -1), "||");
  if (inner === undefined) return false;
  // The first "(" must close at the very end: check that no prefix returns to depth 0.
  let depth = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      i++;
      while (i < text.length && text[i] !== c) i += text[i] === "\\" ? 2 : 1;
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    if (depth === 0) return false;
  }
  return true;
}

/** The expression's logical skeleton; a leaf is compiled by the engine as it stands. */
export function skeletonOf(expression: string): Skeleton {
  const text = expression.trim();
  for (const op of ["||", "&&"] as const) {
    const at = topLevel(text, op);
    if (at === undefined) return { leaf: text };
    if (at.length > 0) {
      const bounds = [-op.length, ...at, text.length];
      const parts = bounds.slice(1).map((end, i) => text.slice((bounds[i] ?? 0) + op.length, end));
      return { op, parts: parts.map(skeletonOf) };
    }
  }
  return wrapped(text) ? skeletonOf(text.slice(1, -1)) : { leaf: text };
}

export type Outcome = boolean | { error: string };

/**
 * Evaluates a skeleton with CEL's commutative logic: `||` is true if any operand is true, else an
 * error if any operand errs; `&&` is false if any operand is false, else an error if any errs.
 * Operands after a deciding one are neither compiled nor run.
 */
export function evaluateSkeleton(node: Skeleton, leaf: (text: string) => Outcome): Outcome {
  if ("leaf" in node) return leaf(node.leaf);
  const decisive = node.op === "||";
  let error: { error: string } | undefined;
  for (const part of node.parts) {
    const r = evaluateSkeleton(part, leaf);
    if (r === decisive) return decisive;
    if (typeof r === "object") error ??= r;
  }
  return error ?? !decisive;
}
