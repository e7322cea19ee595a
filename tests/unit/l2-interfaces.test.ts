// Interface selection: explicit lists, exclusion patterns and the states that never answer.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_EXCLUDED_PATTERNS,
  interfaceFacts,
  nameMatches,
  selectInterfaces,
  type InterfaceFacts,
} from "../../src/runtime/l2/interfaces.js";

const eth = (name: string, over: Partial<InterfaceFacts> = {}): InterfaceFacts => ({
  name,
  index: 1,
  mac: "02:00:00:00:00:01",
  up: true,
  loopback: false,
  noarp: false,
  enslaved: false,
  ethernet: true,
  mtu: 1500,
  ...over,
});

const factsArb: fc.Arbitrary<InterfaceFacts> = fc.record({
  name: fc.constantFrom(
    "eth0",
    "eth1",
    "ens3",
    "bond0",
    "br0",
    "veth12ab",
    "cali9",
    "docker0",
    "lo",
    "kube-ipvs0",
    "vlan10",
  ),
  index: fc.nat(100),
  mac: fc.option(fc.constant("02:00:00:00:00:01"), { nil: undefined }),
  up: fc.boolean(),
  loopback: fc.boolean(),
  noarp: fc.boolean(),
  enslaved: fc.boolean(),
  ethernet: fc.boolean(),
  mtu: fc.constant(1500),
});
const usable = (f: InterfaceFacts) =>
  f.up && !f.loopback && !f.noarp && !f.enslaved && f.ethernet && !!f.mac;

describe("selectInterfaces", () => {
  it("never selects down, loopback, NOARP, enslaved or non-Ethernet interfaces", () => {
    fc.assert(
      fc.property(
        fc.array(factsArb, { maxLength: 12 }),
        fc.array(fc.constantFrom<string>("eth0", "br0", "veth12ab", "nope0")),
        (facts, listed) => {
          const s = selectInterfaces(facts, listed);
          for (const f of s.selected) expect(usable(f)).toBe(true);
          expect(s.selected.length + s.rejected.length).toBe(facts.length);
        },
      ),
    );
  });

  it("with a list selects exactly the usable listed interfaces and reports missing names", () => {
    fc.assert(
      fc.property(
        fc.array(factsArb, { maxLength: 12 }),
        fc.array(fc.constantFrom<string>("eth0", "br0", "veth12ab", "nope0"), { minLength: 1 }),
        (facts, listed) => {
          const s = selectInterfaces(facts, listed);
          expect(s.selected).toEqual(facts.filter((f) => listed.includes(f.name) && usable(f)));
          expect(s.missing).toEqual(
            [...new Set(listed)].filter((n) => !facts.some((f) => f.name === n)),
          );
        },
      ),
    );
  });

  it("without a list selects usable interfaces not matching an exclusion pattern", () => {
    fc.assert(
      fc.property(fc.array(factsArb, { maxLength: 12 }), (facts) => {
        const s = selectInterfaces(facts, []);
        expect(s.selected).toEqual(
          facts.filter(
            (f) => usable(f) && !DEFAULT_EXCLUDED_PATTERNS.some((p) => nameMatches(p, f.name)),
          ),
        );
        expect(s.missing).toEqual([]);
      }),
    );
  });

  it("gives one reason per rejected interface", () => {
    const s = selectInterfaces([
      eth("eth0"),
      eth("eth1", { up: false }),
      eth("lo", { loopback: true }),
      eth("eth2", { enslaved: true }),
      eth("wg0", { ethernet: false, mac: undefined }),
      eth("eth3", { noarp: true }),
      eth("veth9"),
      eth("kube-ipvs0"),
    ]);
    expect(s.selected.map((f) => f.name)).toEqual(["eth0"]);
    expect(s.rejected).toEqual([
      { name: "eth1", reason: "down" },
      { name: "lo", reason: "loopback" },
      { name: "eth2", reason: "enslaved" },
      { name: "wg0", reason: "not-ethernet" },
      { name: "eth3", reason: "noarp" },
      { name: "veth9", reason: "excluded-by-pattern" },
      { name: "kube-ipvs0", reason: "excluded-by-pattern" },
    ]);
    // Naming an interface overrides the patterns, not the states.
    expect(
      selectInterfaces([eth("veth9"), eth("eth1", { up: false })], ["veth9", "eth1"]).selected.map(
        (f) => f.name,
      ),
    ).toEqual(["veth9"]);
  });
});

describe("nameMatches", () => {
  it("treats * and ? as wildcards and everything else literally", () => {
    expect(nameMatches("veth*", "veth0")).toBe(true);
    expect(nameMatches("veth*", "xveth0")).toBe(false);
    expect(nameMatches("eth?", "eth1")).toBe(true);
    expect(nameMatches("eth?", "eth10")).toBe(false);
    expect(nameMatches("a.b", "axb")).toBe(false);
  });
});

describe("interfaceFacts", () => {
  it("decodes rtnetlink flags, type and master", () => {
    expect(
      interfaceFacts({
        name: "eth0",
        index: 2,
        type: 1,
        flags: 0x1 | 0x1000,
        mtu: 1500,
        mac: Buffer.from("020000000001", "hex"),
        master: 5,
        kind: "veth",
      }),
    ).toEqual(eth("eth0", { index: 2, enslaved: true }));
    expect(
      interfaceFacts({
        name: "lo",
        index: 1,
        type: 772,
        flags: 0x1 | 0x8,
        mtu: 65536,
        mac: Buffer.alloc(6),
        master: 0,
        kind: null,
      }),
    ).toMatchObject({ loopback: true, ethernet: false });
  });
});
