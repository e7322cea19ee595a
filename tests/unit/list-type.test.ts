// Kubernetes list semantics: a set holds each item once, a map list one entry per key.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { duplicateItems } from "../../src/api/schema/list-type.js";

describe("duplicateItems", () => {
  it("a set: exactly the items seen before are repeats, each pointing at the first", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "b", "c", 1, { x: 1 }), { maxLength: 12 }),
        (items) => {
          const repeats = duplicateItems("set", items, []);
          const text = items.map((i) => JSON.stringify(i));
          const expected = text.flatMap((t, i) => (text.indexOf(t) < i ? [i] : []));
          expect(repeats.map((r) => r.index)).toEqual(expected);
          for (const r of repeats) expect(text[r.first]).toBe(text[r.index]);
        },
      ),
    );
  });

  it("compares objects by content, whatever their key order", () => {
    expect(
      duplicateItems(
        "set",
        [
          { a: 1, b: 2 },
          { b: 2, a: 1 },
        ],
        [],
      ),
    ).toEqual([{ index: 1, first: 0, message: '{"b":2,"a":1} is listed again (first at [0])' }]);
  });

  it("a map list: entries repeat by their keys only", () => {
    const items = [
      { name: "no-export", value: "65535:65281" },
      { name: "tenant", value: "64512:1" },
      { name: "no-export", value: "64512:65281" },
    ];
    expect(duplicateItems("map", items, ["name"])).toEqual([
      {
        index: 2,
        first: 0,
        keys: { name: "no-export" },
        message: 'name "no-export" is used again (first at [0])',
      },
    ]);
  });

  it("atomic lists (and no list type) may repeat", () => {
    expect(duplicateItems("atomic", ["a", "a"], [])).toEqual([]);
  });
});
