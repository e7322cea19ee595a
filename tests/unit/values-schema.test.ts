// The values schemas generated from src/api/values: the chart's defaults satisfy both, the
// hardened base is a subset of the defaults, and Helm's layering semantics hold.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultValues } from "../../src/api/values/defaults.js";
import { hardenedValues } from "../../src/api/values/hardened.js";
import { chartValuesSchema, overrideSchema } from "../../src/api/values/override.js";
import { errorsOf, makeAjv } from "../../src/gitops/validate/ajv.js";
import { mergeValues } from "../../src/gitops/validate/merge.js";

const ajv = makeAjv();
const chart = ajv.compile(chartValuesSchema());
const override = ajv.compile(overrideSchema());
const defaults = defaultValues("0.1.0");

describe("values schemas", () => {
  it("the chart defaults satisfy the chart schema", () => {
    expect(errorsOf(chart, defaults)).toEqual([]);
  });

  it("the chart defaults satisfy the stricter override schema (they are hardened)", () => {
    expect(errorsOf(override, defaults)).toEqual([]);
  });

  it("the hardened base changes nothing the defaults set", () => {
    expect(mergeValues(defaults, hardenedValues("0.1.0"))).toEqual(defaults);
  });

  it("the chart schema refuses what the chart cannot render", () => {
    const bad = mergeValues(defaults, {
      controller: { replicas: 0 },
      image: { pullPolicy: "Sometimes" },
    });
    expect(errorsOf(chart, bad)).toEqual(
      expect.arrayContaining([
        "/controller/replicas must be >= 1",
        "/image/pullPolicy must be equal to constant",
      ]),
    );
  });

  it("the override schema embeds the hardening (editors flag weakening)", () => {
    expect(errorsOf(override, { speaker: { securityContext: { privileged: true } } })).toContain(
      "/speaker/securityContext/privileged must be equal to constant",
    );
    expect(
      errorsOf(override, {
        controller: { securityContext: { capabilities: { add: ["NET_RAW"] } } },
      }),
    ).toContain("/controller/securityContext/capabilities/add must NOT have more than 0 items");
  });

  it("every chart setting is optional in an override, list items stay complete", () => {
    expect(errorsOf(override, { controller: { logLevel: "debug" } })).toEqual([]);
    expect(errorsOf(override, { config: { ipAddressPools: [{ name: "p", spec: {} }] } })).toContain(
      "/config/ipAddressPools/0/spec must have required property 'addresses'",
    );
  });
});

describe("mergeValues (Helm layering)", () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  it("an override's scalars and lists win, null deletes, untouched keys stay", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), json),
        fc.dictionary(fc.string(), json),
        (base, over) => {
          const merged = mergeValues(base, over) as Record<string, unknown>;
          for (const [k, v] of Object.entries(over)) {
            if (v === null) expect(Object.hasOwn(merged, k)).toBe(false);
            else if (typeof v !== "object" || Array.isArray(v)) expect(merged[k]).toEqual(v);
          }
          for (const k of Object.keys(base)) if (!(k in over)) expect(merged[k]).toEqual(base[k]);
        },
      ),
    );
  });
});
