// Every single-object rule is enforced by the real API server (no webhook), with a message that
// names the offending field.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KINDS } from "../../src/api/kinds/index.js";
import { formatField, ruleProblems, rulesOf, type ConfigKind } from "../../src/model/index.js";
import { createVerdict, replaceVerdict, type Manifest } from "./objects.js";

const V1 = "metallb.io/v1beta1";
const V2 = "metallb.io/v1beta2";
const meta = (name: string) => ({ name, namespace: "metallb-system" });

const pool = (addresses: unknown, extra: object = {}): Manifest => ({
  apiVersion: V1,
  kind: "IPAddressPool",
  metadata: meta("p"),
  spec: { addresses, ...extra },
});
const l2 = (spec: object): Manifest => ({
  apiVersion: V1,
  kind: "L2Advertisement",
  metadata: meta("l2"),
  spec,
});
const bgpAdv = (spec: object): Manifest => ({
  apiVersion: V1,
  kind: "BGPAdvertisement",
  metadata: meta("a"),
  spec,
});
const peer = (spec: object, apiVersion = V2): Manifest => ({
  apiVersion,
  kind: "BGPPeer",
  metadata: meta("peer"),
  spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", ...spec },
});
const bfd = (spec: object): Manifest => ({
  apiVersion: V1,
  kind: "BFDProfile",
  metadata: meta("b"),
  spec,
});
const community = (communities: object[]): Manifest => ({
  apiVersion: V1,
  kind: "Community",
  metadata: meta("c"),
  spec: { communities },
});
const selector = (matchExpressions: object[]) => ({
  serviceAllocation: { namespaceSelectors: [{ matchExpressions }] },
});

// [name, manifest, field path the message must name, words the message must contain]
const invalid: [string, Manifest, string, string][] = [
  ["pool: garbage address", pool(["not-an-ip"]), "spec.addresses[0]", "must be a CIDR"],
  ["pool: prefix too long", pool(["192.0.2.0/33"]), "spec.addresses[0]", "must be a CIDR"],
  [
    "pool: v4 range reversed",
    pool(["192.0.2.20-192.0.2.10"]),
    "spec.addresses[0]",
    "range start must not be after",
  ],
  [
    "pool: v6 range reversed",
    pool(["2001:db8::ff-2001:db8::1"]),
    "spec.addresses[0]",
    "range start must not be after",
  ],
  [
    "pool: range mixes families",
    pool(["192.0.2.1-2001:db8::1"]),
    "spec.addresses[0]",
    "one family",
  ],
  [
    "pool: range with three ends",
    pool(["192.0.2.1-192.0.2.5-192.0.2.9"]),
    "spec.addresses[0]",
    "must be a CIDR",
  ],
  ["pool: no addresses", pool([]), "spec.addresses", "at least 1"],
  [
    "pool: addresses missing",
    { ...pool([]), spec: { autoAssign: true } },
    "spec.addresses",
    "Required",
  ],
  [
    "pool: negative priority",
    pool(["192.0.2.0/24"], { serviceAllocation: { priority: -1 } }),
    "spec.serviceAllocation.priority",
    "greater than or equal to 0",
  ],
  [
    "pool: unknown selector operator",
    pool(["192.0.2.0/24"], selector([{ key: "team", operator: "Among", values: ["a"] }])),
    "spec.serviceAllocation.namespaceSelectors[0].matchExpressions[0].operator",
    "Unsupported value",
  ],
  [
    "pool: In without values",
    pool(["192.0.2.0/24"], selector([{ key: "team", operator: "In" }])),
    "spec.serviceAllocation.namespaceSelectors[0].matchExpressions[0].values",
    "at least one value",
  ],
  [
    "pool: Exists with values",
    pool(["192.0.2.0/24"], selector([{ key: "team", operator: "Exists", values: ["x"] }])),
    "spec.serviceAllocation.namespaceSelectors[0].matchExpressions[0].values",
    "take no values",
  ],
  [
    "pool: misspelt field",
    pool(["192.0.2.0/24"], { autoAsign: false }),
    "spec.autoAsign",
    "unknown field",
  ],
  [
    "l2: interface name too long",
    l2({ interfaces: ["an-interface-name-too-long"] }),
    "spec.interfaces[0]",
    "15",
  ],
  [
    "l2: pool name not a DNS name",
    l2({ ipAddressPools: ["Bad_Pool"] }),
    "spec.ipAddressPools[0]",
    "should match",
  ],
  [
    "bgpadv: aggregationLength 33",
    bgpAdv({ aggregationLength: 33 }),
    "spec.aggregationLength",
    "less than or equal to 32",
  ],
  [
    "bgpadv: aggregationLengthV6 129",
    bgpAdv({ aggregationLengthV6: 129 }),
    "spec.aggregationLengthV6",
    "less than or equal to 128",
  ],
  [
    "bgpadv: community part > 65535",
    bgpAdv({ communities: ["65536:1"] }),
    "spec.communities[0]",
    "AS:value",
  ],
  [
    "bgpadv: large community with two parts",
    bgpAdv({ communities: ["large:1:2"] }),
    "spec.communities[0]",
    "large:global:local1:local2",
  ],
  [
    "bgpadv: localPref above 32 bits",
    bgpAdv({ localPref: 4294967296 }),
    "spec.localPref",
    "less than or equal to 4294967295",
  ],
  ["peer: myASN 0", peer({ myASN: 0 }), "spec.myASN", "greater than or equal to 1"],
  [
    "peer: myASN above 32 bits",
    peer({ myASN: 4294967296 }),
    "spec.myASN",
    "less than or equal to 4294967295",
  ],
  [
    "peer: peerASN and dynamicASN",
    peer({ dynamicASN: "external" }),
    "spec.peerASN",
    "exactly one of peerASN and dynamicASN",
  ],
  [
    "peer: unknown dynamicASN",
    { ...peer({}), spec: { myASN: 64512, dynamicASN: "sideways", peerAddress: "192.0.2.1" } },
    "spec.dynamicASN",
    "Unsupported value",
  ],
  [
    "peer: neither address nor interface",
    { ...peer({}), spec: { myASN: 64512, peerASN: 64513 } },
    "spec.peerAddress",
    "exactly one of peerAddress and interface",
  ],
  [
    "peer: bad peerAddress",
    peer({ peerAddress: "300.1.1.1" }),
    "spec.peerAddress",
    "IPv4 or IPv6 address",
  ],
  ["peer: port 0", peer({ peerPort: 0 }), "spec.peerPort", "greater than or equal to 1"],
  ["peer: port 70000", peer({ peerPort: 70000 }), "spec.peerPort", "less than or equal to 65535"],
  ["peer: holdTime 2s", peer({ holdTime: "2s" }), "spec.holdTime", "0s or between 3s and 65535s"],
  ["peer: holdTime not a duration", peer({ holdTime: "ninety" }), "spec.holdTime", "should match"],
  [
    "peer: keepalive above hold",
    peer({ holdTime: "30s", keepaliveTime: "40s" }),
    "spec.keepaliveTime",
    "must not exceed holdTime",
  ],
  [
    "peer: keepalive above default hold",
    peer({ keepaliveTime: "2m" }),
    "spec.keepaliveTime",
    "must not exceed holdTime",
  ],
  [
    "peer: connectTime below 1s",
    peer({ connectTime: "500ms" }),
    "spec.connectTime",
    "between 1s and 65535s",
  ],
  ["peer: IPv6 routerID", peer({ routerID: "2001:db8::1" }), "spec.routerID", "IPv4 address"],
  [
    "peer: password and passwordSecret",
    peer({ password: "x", passwordSecret: { name: "s" } }),
    "spec.password",
    "mutually exclusive",
  ],
  [
    "peer: source family differs",
    peer({ sourceAddress: "2001:db8::2" }),
    "spec.sourceAddress",
    "same IP family",
  ],
  [
    "peer v1beta1: port 70000",
    peer({ peerPort: 70000 }, V1),
    "spec.peerPort",
    "less than or equal to 65535",
  ],
  [
    "bfd: detectMultiplier 1",
    bfd({ detectMultiplier: 1 }),
    "spec.detectMultiplier",
    "greater than or equal to 2",
  ],
  [
    "bfd: receiveInterval 5",
    bfd({ receiveInterval: 5 }),
    "spec.receiveInterval",
    "10 to 60000 milliseconds",
  ],
  [
    "bfd: transmitInterval 90s",
    bfd({ transmitInterval: "90s" }),
    "spec.transmitInterval",
    "10 to 60000 milliseconds",
  ],
  [
    "bfd: echoInterval not a duration",
    bfd({ echoInterval: "fast" }),
    "spec.echoInterval",
    "10 to 60000 milliseconds",
  ],
  ["bfd: minimumTtl 255", bfd({ minimumTtl: 255 }), "spec.minimumTtl", "less than or equal to 254"],
  [
    "community: value with three parts",
    community([{ name: "x", value: "1:2:3" }]),
    "spec.communities[0].value",
    "must be a community",
  ],
  [
    "community: duplicate names",
    community([
      { name: "x", value: "1:2" },
      { name: "x", value: "1:3" },
    ]),
    "spec.communities[1]",
    "Duplicate value",
  ],
];

describe("the API server rejects invalid metallb.io objects, naming the field", () => {
  it("covers at least 20 distinct rules", () => {
    expect(new Set(invalid.map(([, , path]) => path)).size).toBeGreaterThanOrEqual(20);
  });

  it.each(invalid)("%s", async (_name, manifest, path, words) => {
    const verdict = await createVerdict(manifest);
    expect(verdict, "the API server accepted an invalid object").toBeDefined();
    expect(verdict).toContain(path);
    expect(verdict).toContain(words);
  });
});

const valid: [string, Manifest][] = [
  [
    "pool: CIDRs and ranges of both families",
    pool([
      "192.0.2.0/24",
      "203.0.113.10-203.0.113.20",
      "2001:db8:1::/64",
      "2001:db8:2::1 - 2001:db8:2::ff",
    ]),
  ],
  ["pool: one-address range", pool(["192.0.2.7-192.0.2.7"])],
  ["pool: /8 and /64", pool(["10.0.0.0/8", "2001:db8::/64"])],
  [
    "pool: full serviceAllocation",
    pool(["192.0.2.0/24"], {
      serviceAllocation: {
        priority: 10,
        namespaces: ["a"],
        namespaceSelectors: [{ matchLabels: { team: "x" } }],
        serviceSelectors: [{ matchExpressions: [{ key: "tier", operator: "Exists" }] }],
      },
    }),
  ],
  [
    "bgpadv: communities, large communities and aliases",
    bgpAdv({
      communities: ["65535:65282", "large:4200000000:1:2", "no-export"],
      localPref: 100,
      aggregationLength: 24,
      aggregationLengthV6: 64,
    }),
  ],
  [
    "peer: 4-byte ASN, MD5 secret, GR, timers",
    peer({
      myASN: 4200000001,
      peerASN: 65534,
      passwordSecret: { name: "md5" },
      enableGracefulRestart: true,
      holdTime: "9s",
      keepaliveTime: "3s",
      connectTime: "5s",
      routerID: "192.0.2.100",
      peerPort: 1179,
    }),
  ],
  [
    "peer: IPv6 peer with source address",
    peer({ peerAddress: "2001:db8::1", sourceAddress: "2001:db8::2" }),
  ],
  [
    "peer: dynamicASN",
    { ...peer({}), spec: { myASN: 64512, dynamicASN: "internal", peerAddress: "192.0.2.1" } },
  ],
  ["peer v1beta1", peer({ holdTime: "0s" }, V1)],
  [
    "bfd: integer and duration intervals",
    bfd({
      receiveInterval: 300,
      transmitInterval: "300ms",
      echoInterval: "1s",
      detectMultiplier: 3,
    }),
  ],
  [
    "community: standard and large",
    community([
      { name: "no-export", value: "65535:65281" },
      { name: "big", value: "large:64512:1:1" },
    ]),
  ],
];

describe("valid objects are accepted", () => {
  it.each(valid)("%s", async (_name, manifest) => {
    expect(await createVerdict(manifest)).toBeUndefined();
  });
});

describe("immutable fields", () => {
  it("enableGracefulRestart cannot change after creation", async () => {
    const created = { ...peer({ enableGracefulRestart: true }), metadata: meta("gr-peer") };
    expect(await createVerdict(created, false)).toBeUndefined();
    const verdict = await replaceVerdict({
      ...created,
      spec: { ...(created.spec as object), enableGracefulRestart: false },
    });
    expect(verdict).toContain("spec.enableGracefulRestart");
    expect(verdict).toContain("cannot be changed after creation");
    const otherEdit = await replaceVerdict({
      ...created,
      spec: { ...(created.spec as object), holdTime: "30s" },
    });
    expect(otherEdit).toBeUndefined();
  });
});

/** The CEL rules' problems as `metallb-ts validate` and the runtime find them offline. */
function offlineProblems(m: Manifest) {
  const def = KINDS.find((k) => k.kind === m.kind);
  if (!def) throw new Error(`no KindDef for ${m.kind}`);
  return ruleProblems(m.kind as ConfigKind, m.metadata.name, def.spec, m.spec);
}
const offline = (m: Manifest): string[] => offlineProblems(m).map((p) => formatField(p.field));

/** Whether the API server refuses this case through one of the kind's CEL rules. */
function celCase(m: Manifest, words: string): boolean {
  const def = KINDS.find((k) => k.kind === m.kind);
  return !!def && rulesOf(def.spec).some((r) => r.rule.message.includes(words));
}

describe("the offline CEL engine gives the API server's verdict", () => {
  it.each(invalid.filter(([, m, , words]) => celCase(m, words)))(
    "%s: refused offline at the same field, with the API server's message",
    async (_name, manifest, path) => {
      expect(offline(manifest)).toContain(path);
      // The API server quotes the rule's message (or its messageExpression's text) after the
      // field: the offline message must be that text, word for word.
      const verdict = (await createVerdict(manifest)) ?? "";
      const messages = offlineProblems(manifest)
        .filter((p) => formatField(p.field) === path)
        .map((p) => p.message);
      expect(
        messages.some((m) => verdict.includes(m)),
        `${verdict} vs ${messages.join(" | ")}`,
      ).toBe(true);
    },
  );

  it.each(valid)("%s: accepted offline", (_name, manifest) => {
    expect(offline(manifest)).toEqual([]);
  });

  // Edges where a hand-written parser and the Kubernetes CEL IP library could part ways.
  const edges: [string, Manifest][] = [
    ["IPv4-mapped IPv6 peer", peer({ peerAddress: "::ffff:192.0.2.1" })],
    ["peer with a zone", peer({ peerAddress: "fe80::1%eth0" })],
    ["IPv4 with a leading zero", peer({ peerAddress: "192.0.2.01" })],
    ["CIDR with host bits", pool(["192.0.2.1/24"])],
    ["CIDR with spaces", pool([" 192.0.2.0/24"])],
    ["range with spaces", pool(["192.0.2.1 - 192.0.2.9"])],
    ["IPv4-mapped CIDR", pool(["::ffff:192.0.2.0/120"])],
    ["one-address range, IPv6", pool(["2001:db8::1-2001:db8::1"])],
    ["keepalive equal to hold", peer({ holdTime: "9s", keepaliveTime: "9s" })],
    ["hold 0s with keepalive", peer({ holdTime: "0s", keepaliveTime: "1s" })],
    ["BFD interval 10 and 60000", bfd({ receiveInterval: 10, transmitInterval: 60000 })],
    ["BFD interval 60001", bfd({ receiveInterval: 60001 })],
    ["BFD interval as minutes", bfd({ echoInterval: "1m" })],
    ["large community at the limit", community([{ name: "x", value: "large:4294967295:0:0" }])],
    ["large community beyond", community([{ name: "x", value: "large:4294967296:0:0" }])],
    ["alias with a dot", bgpAdv({ communities: ["no.export"] })],
    ["alias ending in a dash", bgpAdv({ communities: ["no-export-"] })],
    ["CIDR length with a leading zero", pool(["192.0.2.0/024"])],
    ["CIDR length /0", pool(["::/0"])],
    ["IPv6 range across the top bit", pool(["7fff::-8000::"])],
    ["IPv6 range reversed across the top bit", pool(["8000::-7fff::"])],
    ["IPv6 range reversed in the last bit", pool(["2001:db8::1-2001:db8::"])],
    ["IPv6 range, embedded IPv4 ends", pool(["2001:db8::192.0.2.1-2001:db8::192.0.2.0"])],
    ["IPv4 range reversed in the first octet", pool(["198.51.100.1-192.0.2.1"])],
  ];
  it.each(edges)("%s: same verdict offline and in the API server", async (_name, manifest) => {
    const server = (await createVerdict(manifest)) === undefined;
    expect(offline(manifest).length === 0).toBe(server);
  });
});

// Generated values against the API server: a property the CEL text and the offline engine must
// share for any address or community a user could write, not only the listed edges.
const octet = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.integer({ min: 0, max: 99 }).map((n) => `0${n}`),
);
const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));
const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const v6 = fc.oneof(
  fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.join(":")),
  fc
    .tuple(fc.array(group, { maxLength: 3 }), fc.array(group, { maxLength: 3 }))
    .map(([a, b]) => `${a.join(":")}::${b.join(":")}`),
  v4.map((a) => `::ffff:${a}`),
  fc.constantFrom("2001:db8::", "2001:db8::1", "fe80::1%eth0", "::", "8000::", "7fff::"),
);
const address = fc.oneof(v4, v6);
// Ranges whose ends share a long prefix, so that the ordering rule's last bits are exercised.
const closeRange = fc
  .tuple(fc.array(group, { minLength: 7, maxLength: 7 }), group, group)
  .map(([head, a, b]) => `${head.join(":")}:${a}-${head.join(":")}:${b}`);
const poolEntry = fc.oneof(
  fc
    .tuple(address, fc.oneof(fc.integer({ min: 0, max: 130 }).map(String), fc.constant("024")))
    .map(([a, len]) => `${a}/${len}`),
  fc.tuple(address, address).map(([a, b]) => `${a}-${b}`),
  fc.tuple(v4, v4).map(([a, b]) => `${a} - ${b}`),
  closeRange,
);
const big = fc.oneof(
  fc.integer({ min: 0, max: 70000 }),
  fc.constantFrom(4294967295, 4294967296, 99999999999),
);
const communityValue = fc.oneof(
  fc.tuple(big, big).map(([a, b]) => `${a}:${b}`),
  fc.tuple(big, big, big).map(([a, b, c]) => `large:${a}:${b}:${c}`),
  fc.constantFrom("65535:65535", "65536:1", "large:1:2", "no-export", "1:2:3"),
);

describe("generated values: the offline CEL engine and the API server agree", () => {
  const cases: [string, Manifest][] = [
    ...fc
      .sample(poolEntry, { numRuns: 80, seed: 4242 })
      .map((a): [string, Manifest] => [a, pool([a])]),
    ...fc
      .sample(communityValue, { numRuns: 30, seed: 4243 })
      .map((v): [string, Manifest] => [v, community([{ name: "x", value: v }])]),
    ...fc
      .sample(communityValue, { numRuns: 20, seed: 4244 })
      .map((v): [string, Manifest] => [v, bgpAdv({ communities: [v] })]),
  ];
  it.each(cases)("%s", async (_value, manifest) => {
    // Every generated value fits the structural schema (lengths), so a refusal is a CEL verdict.
    const server = await createVerdict(manifest);
    expect(offline(manifest).length === 0, server ?? "accepted by the API server").toBe(
      server === undefined,
    );
  });
});
