// The offline CEL engine: the Kubernetes IP/CIDR library against the project's own address
// arithmetic, the pool rules' CEL text against plain integer comparison, and the typing of values
// by their schema. tests/kube/crd-validation.test.ts holds the same engine against the API server.
import fc from "fast-check";
import { Type } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import { parseCidr, parseIp, formatIp, type Ip } from "../../src/api/formats/ip.js";
import { cel } from "../../src/api/schema/cel.js";
import { CEL_RANGE_ORDERED } from "../../src/api/schema/cel-net.js";
import { BFDProfileSpec } from "../../src/api/kinds/bfdprofile.js";
import { IPAddressPoolSpec } from "../../src/api/kinds/ipaddresspool.js";
import { celValueOf, evaluate } from "../../src/model/cel/engine.js";
import { skeletonOf } from "../../src/model/cel/lazy-logic.js";
import { ruleProblems } from "../../src/model/index.js";

const holds = (expression: string, self: unknown) =>
  evaluate(expression, celValueOf({} as never, self));

const v4 = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((value): Ip => ({ family: 4, value }));
const v6 = fc
  .bigInt({ min: 0n, max: (1n << 128n) - 1n })
  .filter((value) => value >> 32n !== 0xffffn) // IPv4-mapped: not an address to the API server
  .map((value): Ip => ({ family: 6, value }));
/** Two addresses of one family, often sharing a long prefix (the ordering rule's hard case). */
const pair = fc.oneof(
  fc.tuple(v4, v4),
  fc.tuple(v6, v6),
  fc
    .tuple(v6, fc.integer({ min: 0, max: 127 }), fc.boolean())
    .filter(([a, bit]) => (a.value ^ (1n << BigInt(bit))) >> 32n !== 0xffffn)
    .map(([a, bit, flip]): [Ip, Ip] => {
      const b = { family: 6 as const, value: a.value ^ (1n << BigInt(bit)) };
      return flip ? [b, a] : [a, b];
    }),
);

describe("the pool range ordering rule", () => {
  it("agrees with integer comparison for any two addresses of one family", () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const verdict = holds(CEL_RANGE_ORDERED, `${formatIp(a)}-${formatIp(b)}`);
        expect(verdict.ok).toBe(a.value <= b.value);
      }),
      { numRuns: 300 },
    );
  });

  it("names both ends through its messageExpression", () => {
    const [p] = ruleProblems("IPAddressPool", "p", IPAddressPoolSpec, {
      addresses: ["2001:db8::9-2001:db8::1"],
    });
    expect(p?.message).toBe(
      "range start must not be after range end: 2001:db8::9 comes after 2001:db8::1",
    );
    expect(p?.field).toEqual(["spec", "addresses", 0]);
  });
});

describe("the Kubernetes IP and CIDR library", () => {
  it("cidr().containsIP agrees with the address arithmetic", () => {
    fc.assert(
      fc.property(
        fc.oneof(v4, v6),
        fc.oneof(v4, v6),
        fc.integer({ min: 0, max: 128 }),
        (net, ip, rawLength) => {
          const length = Math.min(rawLength, net.family === 4 ? 32 : 128);
          const text = `${formatIp(net)}/${length}`;
          const range = parseCidr(text);
          const expected =
            !!range &&
            range.family === ip.family &&
            ip.value >= range.first &&
            ip.value <= range.last;
          expect(holds(`cidr('${text}').containsIP('${formatIp(ip)}')`, null)).toEqual(
            expected ? { ok: true } : { ok: false, message: "" },
          );
        },
      ),
    );
  });

  it.each([
    ["isIP('192.0.2.1')", true],
    ["isIP('2001:db8::1')", true],
    ["isIP('fe80::1%eth0')", false],
    ["isIP('::ffff:192.0.2.1')", false],
    ["isIP('192.0.2.01')", false],
    ["isCIDR('192.0.2.1/24')", true],
    ["isCIDR('192.0.2.0/024')", false],
    ["isCIDR('192.0.2.0/33')", false],
    ["isCIDR('::ffff:192.0.2.0/120')", false],
    ["ip('2001:0db8::0001') == ip('2001:db8::1')", true],
    ["ip('192.0.2.1').family() == 4 && ip('::1').family() == 6", true],
    ["cidr('192.0.2.77/24').masked() == cidr('192.0.2.0/24')", true],
    ["cidr('192.0.2.77/24').ip() == ip('192.0.2.77')", true],
    ["cidr('2001:db8::/32').prefixLength() == 32", true],
    ["cidr('2001:db8::/32').containsCIDR('2001:db8:1::/48')", true],
    ["cidr('2001:db8:1::/48').containsCIDR('2001:db8::/32')", false],
    ["string(cidr('2001:DB8::1/64').masked()) == '2001:db8::/64'", true],
    ["ip('127.0.0.1').isLoopback() && ip('::1').isLoopback()", true],
    ["ip('169.254.1.1').isLinkLocalUnicast() && ip('fe80::1').isLinkLocalUnicast()", true],
    ["ip('192.0.2.1').isGlobalUnicast() && !ip('224.0.0.1').isGlobalUnicast()", true],
    ["ip('0.0.0.0').isUnspecified()", true],
  ])("%s is %s", (expression, expected) => {
    expect(holds(expression, null).ok).toBe(expected);
  });

  it("ip() of a malformed address is an evaluation error naming it, not a crash", () => {
    expect(holds("ip('192.0.2.300').family() == 4", null)).toEqual({
      ok: false,
      error: expect.stringContaining('"192.0.2.300"') as unknown,
    });
  });

  it("isIP agrees with the project's parser on random text", () => {
    const texts = fc.oneof(fc.oneof(v4, v6).map(formatIp), fc.stringMatching(/^[0-9a-f:.]{1,20}$/));
    fc.assert(
      fc.property(texts, (text) => {
        const ip = parseIp(text);
        const expected = !!ip && !(ip.family === 6 && ip.value >> 32n === 0xffffn);
        expect(holds(`isIP('${text}')`, null).ok).toBe(expected);
      }),
    );
  });
});

describe("values are typed by their schema, as the API server types them", () => {
  it("an integer interval is a CEL int, a duration string a string", () => {
    const problems = (spec: object) =>
      ruleProblems("BFDProfile", "b", BFDProfileSpec, spec).map((p) => p.field.join("."));
    expect(problems({ receiveInterval: 300, transmitInterval: "300ms" })).toEqual([]);
    expect(problems({ receiveInterval: 5 })).toEqual(["spec.receiveInterval"]);
    expect(problems({ echoInterval: "61s" })).toEqual(["spec.echoInterval"]);
  });

  it("a number field stays a double", () => {
    const schema = Type.Object({ n: Type.Number() });
    expect(celValueOf(schema, { n: 3 })).toEqual({ n: 3 });
    expect(celValueOf(Type.Object({ n: Type.Integer() }), { n: 3 })).toEqual({ n: 3n });
  });

  it("fields the schema does not declare are pruned before the rule sees them", () => {
    const schema = Type.Object({ a: Type.String() });
    expect(celValueOf(schema, { a: "x", b: "y" })).toEqual({ a: "x" });
  });
});

describe("rules that fail to evaluate, and messageExpressions that fail", () => {
  const schema = Type.Object(
    { a: Type.Optional(Type.String()) },
    {
      ...cel(
        {
          rule: "self.a == 'x'",
          message: "a must be x",
          fix: "set a to x",
        },
        {
          rule: "has(self.a) && self.a.size() < 3",
          message: "a is too long",
          messageExpression: "'a is ' + string(self.missing)",
          fix: "shorten a",
        },
      ),
    },
  );

  it("an evaluation error is a problem (the API server refuses the object too)", () => {
    const [p] = ruleProblems("IPAddressPool", "p", schema, {});
    expect(p?.message).toMatch(/^a must be x \(the rule could not be evaluated: .*a/);
    expect(p?.fix).toBe("set a to x");
  });

  it("a failing messageExpression falls back to the message", () => {
    const found = ruleProblems("IPAddressPool", "p", schema, { a: "long" });
    expect(found.map((p) => p.message)).toEqual(["a must be x", "a is too long"]);
  });
});

describe("operands of || and && are compiled only when reached", () => {
  const atom = fc.constantFrom("true", "false", "(1 / 0 == 1)", "self.n > 2", "'a||b' == 'a&&b'");
  const expr: fc.Memo<string> = fc.memo((n) => {
    if (n <= 1) return atom;
    const e = expr(n - 1);
    return fc.oneof(
      atom,
      fc.tuple(e, fc.constantFrom(" || ", " && "), e).map(([a, op, b]) => `${a}${op}${b}`),
      e.map((a) => `(${a})`),
      e.map((a) => `!(${a})`),
      fc.tuple(e, e, e).map(([c, a, b]) => `(${c}) ? (${a}) : ${b}`),
    );
  });

  // Syntax errors are not generated: every rule compiles whole (tests/unit/model.test.ts).
  it("gives the whole program's verdict for any mix of operators, groups and errors", () => {
    fc.assert(
      fc.property(expr(5), fc.integer({ min: 0, max: 5 }), (text, n) => {
        const lazy = evaluate(text, { n: BigInt(n) });
        const whole = evaluate(`(${text}) == true || (${text}) == true`, { n: BigInt(n) });
        const kind = (v: typeof lazy) => (v.ok ? "true" : "error" in v ? "error" : "false");
        // The reference compares the text with true, so each of its operands is the whole text
        // compiled as one program.
        expect(kind(lazy), text).toBe(kind(whole));
      }),
      { numRuns: 400 },
    );
  });
});

describe("skeletonOf", () => {
  it.each([
    [
      "a || (b && c)",
      { op: "||", parts: [{ leaf: "a" }, { op: "&&", parts: [{ leaf: "b" }, { leaf: "c" }] }] },
    ],
    ["x == 'p||q'", { leaf: "x == 'p||q'" }],
    ["a ? b || c : d", { leaf: "a ? b || c : d" }],
    ["(a) || (b)", { op: "||", parts: [{ leaf: "a" }, { leaf: "b" }] }],
    ["((a || b))", { op: "||", parts: [{ leaf: "a" }, { leaf: "b" }] }],
    ["f(a || b)", { leaf: "f(a || b)" }],
  ])("%s", (text, expected) => {
    expect(skeletonOf(text)).toEqual(expected);
  });

  it("never compiles the IPv6 half of the range rule for an IPv4 range", () => {
    const s = skeletonOf(CEL_RANGE_ORDERED);
    expect("op" in s && s.op === "||" && s.parts.length).toBe(3);
  });
});
