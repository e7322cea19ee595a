// A YAML file parsed with its positions, so that a problem found at a values path can name the
// line it comes from.
import { LineCounter, isCollection, isNode, isPair, parseDocument, type Document } from "yaml";
import type { PathSegment } from "./problem.js";

export interface YamlSource {
  value: unknown;
  /** Parse errors, already formatted with their line. */
  syntaxErrors: { line: number; message: string }[];
  /** Line of the deepest node on the path that exists in the file. */
  lineOf(path: readonly PathSegment[]): number | undefined;
}

export function parseYamlSource(text: string): YamlSource {
  const lines = new LineCounter();
  // Merge keys (`<<: *anchor`) as Helm reads them (go-yaml resolves them before the schema).
  const doc: Document = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    merge: true,
  });
  const lineAt = (offset: number) => lines.linePos(offset).line;
  return {
    value: doc.errors.length ? undefined : (doc.toJS() as unknown),
    syntaxErrors: doc.errors.map((e) => ({
      line: lineAt(e.pos[0]),
      message: e.message.split("\n")[0] ?? e.message,
    })),
    lineOf(path) {
      let node: unknown = doc.contents;
      let line: number | undefined = isNode(node) && node.range ? lineAt(node.range[0]) : undefined;
      for (const seg of path) {
        if (!isCollection(node)) break;
        const items: unknown[] = node.items;
        const item = items.find((it, i) =>
          typeof seg === "number" ? i === seg : isPair(it) && String(it.key) === seg,
        );
        if (isPair(item)) {
          // A map entry: point at its key, and descend into its value.
          if (isNode(item.key) && item.key.range) line = lineAt(item.key.range[0]);
          node = item.value;
        } else if (isNode(item)) {
          node = item;
          if (item.range) line = lineAt(item.range[0]);
        } else break;
      }
      return line;
    },
  };
}
