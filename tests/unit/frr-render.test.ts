// The FRR configuration renderer (pure): what each BGPPeer field becomes, per-peer attributes
// as route-maps, BFD profiles with FRR's defaults left out, and — as a property — that no value
// a user writes can add a line or change a line's shape. tests/net/frr-mode.test.ts feeds the
// same renderer's output to real FRR.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BFDProfileSpec } from "../../src/api/kinds/bfdprofile.js";
import type { BGPPeerSpec } from "../../src/api/kinds/bgppeer.js";
import { parseConfig } from "../../src/model/index.js";
import type { PeerContext } from "../../src/runtime/speaker/bgp-peer-config.js";
import type { DesiredRoute } from "../../src/runtime/speaker/desired-routes.js";
import { renderFrrConfig } from "../../src/runtime/speaker/frr/render.js";

const NS = "metallb-system";
const node = { name: "n1", ipv4: "192.0.2.11" };
const ctx: PeerContext = { namespace: NS, secrets: new Map() };

const route = (prefix: string, over: Partial<DesiredRoute> = {}): DesiredRoute => ({
  prefix,
  family: prefix.includes(":") ? 6 : 4,
  communities: [],
  largeCommunities: [],
  services: ["demo/web"],
  ...over,
});

function render(
  peers: { name: string; spec: BGPPeerSpec }[],
  routes: Record<string, DesiredRoute[]>,
  bfd: { name: string; spec: BFDProfileSpec }[] = [],
  c: PeerContext = ctx,
) {
  const config = parseConfig({ bgpPeers: peers, bfdProfiles: bfd }, { namespace: NS });
  return renderFrrConfig({
    node,
    peers: config.peers,
    routes: new Map(Object.entries(routes)),
    bfdProfiles: config.bfdProfiles,
    ctx: c,
  });
}

const router = (over: Partial<BGPPeerSpec> = {}): BGPPeerSpec => ({
  myASN: 64513,
  peerASN: 64512,
  peerAddress: "192.0.2.1",
  ...over,
});

describe("FRR configuration of a node", () => {
  it("renders every session field, per-peer attributes and the BFD profile", () => {
    const r = render(
      [
        {
          name: "frr",
          spec: router({
            holdTime: "9s",
            connectTime: "5s",
            password: "s3cret!",
            enableGracefulRestart: true,
            bfdProfile: "fast",
            sourceAddress: "192.0.2.11",
          }),
        },
        {
          name: "ibgp",
          spec: router({ peerASN: 64513, peerAddress: "2001:db8::1", peerPort: 1179 }),
        },
      ],
      {
        frr: [
          route("203.0.113.1/32", { communities: ["65535:65281", "64512:100"] }),
          route("2001:db8:ff::1/128", { largeCommunities: ["64512:1:2"] }),
        ],
        ibgp: [route("203.0.113.1/32", { localPref: 200 })],
      },
      [
        {
          name: "fast",
          spec: { receiveInterval: 100, transmitInterval: "100ms", detectMultiplier: 3 },
        },
      ],
    );
    expect(r.problems).toEqual([]);
    expect(r.sessions).toEqual([
      { peer: "frr", neighbor: "192.0.2.1", vrf: "default", bfd: true },
      { peer: "ibgp", neighbor: "2001:db8::1", vrf: "default", bfd: false },
    ]);
    expect(r.text).toMatchInlineSnapshot(`
      "frr defaults traditional
      log stdout informational
      !
      router bgp 64513
       bgp router-id 192.0.2.11
       no bgp ebgp-requires-policy
       no bgp default ipv4-unicast
       no bgp network import-check
       neighbor 192.0.2.1 remote-as 64512
       neighbor 192.0.2.1 bfd
       neighbor 192.0.2.1 bfd profile fast
       neighbor 192.0.2.1 password s3cret!
       neighbor 192.0.2.1 timers 3 9
       neighbor 192.0.2.1 timers connect 5
       neighbor 192.0.2.1 update-source 192.0.2.11
       neighbor 192.0.2.1 graceful-restart
       neighbor 2001:db8::1 remote-as 64513
       neighbor 2001:db8::1 port 1179
       !
       address-family ipv4 unicast
        network 203.0.113.1/32
        neighbor 192.0.2.1 activate
        neighbor 192.0.2.1 route-map mlb-deny-in in
        neighbor 192.0.2.1 route-map mlb-frr-out out
        neighbor 2001:db8::1 activate
        neighbor 2001:db8::1 route-map mlb-deny-in in
        neighbor 2001:db8::1 route-map mlb-ibgp-out out
       exit-address-family
       !
       address-family ipv6 unicast
        network 2001:db8:ff::1/128
        neighbor 192.0.2.1 activate
        neighbor 192.0.2.1 route-map mlb-deny-in in
        neighbor 192.0.2.1 route-map mlb-frr-out out
        neighbor 2001:db8::1 activate
        neighbor 2001:db8::1 route-map mlb-deny-in in
        neighbor 2001:db8::1 route-map mlb-ibgp-out out
       exit-address-family
      exit
      !
      ip prefix-list mlb-frr-947d8ba1-ipv4 seq 153873003 permit 203.0.113.1/32
      ipv6 prefix-list mlb-frr-5d14353b-ipv6 seq 1867988568 permit 2001:db8:ff::1/128
      ip prefix-list mlb-ibgp-e8a6392f-ipv4 seq 153873003 permit 203.0.113.1/32
      !
      route-map mlb-frr-out permit 3890
       match ip address prefix-list mlb-frr-947d8ba1-ipv4
       set community 64512:100 no-export
      exit
      !
      route-map mlb-frr-out permit 14306
       match ipv6 address prefix-list mlb-frr-5d14353b-ipv6
       set large-community 64512:1:2
      exit
      !
      route-map mlb-frr-out deny 65535
      exit
      !
      route-map mlb-ibgp-out permit 33232
       match ip address prefix-list mlb-ibgp-e8a6392f-ipv4
       set local-preference 200
      exit
      !
      route-map mlb-ibgp-out deny 65535
      exit
      !
      route-map mlb-deny-in deny 1
      exit
      !
      bfd
       profile fast
        receive-interval 100
        transmit-interval 100
       exit
       !
      exit
      !
      end
      "
    `);
  });

  it("puts VRF peers in their own BGP instance and leaves others' peers out", () => {
    const r = render(
      [
        { name: "red", spec: router({ vrf: "red", peerAddress: "198.51.100.1" }) },
        { name: "other-node", spec: router({ peerAddress: "192.0.2.99" }) },
      ],
      { red: [route("203.0.113.5/32")] },
    );
    expect(r.text).toContain("router bgp 64513 vrf red\n");
    expect(r.text).not.toContain("192.0.2.99");
    expect(r.sessions).toEqual([{ peer: "red", neighbor: "198.51.100.1", vrf: "red", bfd: false }]);
  });

  it("refuses peers of one VRF that disagree on the local AS, naming the field", () => {
    const r = render(
      [
        { name: "a", spec: router() },
        { name: "b", spec: router({ myASN: 64999, peerAddress: "192.0.2.2" }) },
      ],
      { a: [], b: [] },
    );
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ name: "b", field: ["spec", "myASN"] });
    expect(r.problems[0]!.message).toMatch(/differs from 64513 of BGPPeer a/);
    expect(r.text).not.toContain("192.0.2.2");
  });

  it("unnumbered sessions name the interface; dynamic ASNs become internal/external", () => {
    const r = render(
      [
        {
          name: "un",
          spec: { myASN: 64513, dynamicASN: "external", interface: "eth1" },
        },
      ],
      { un: [route("203.0.113.9/32")] },
    );
    expect(r.problems).toEqual([]);
    expect(r.text).toContain(" neighbor eth1 interface remote-as external\n");
    expect(r.text).toContain("  neighbor eth1 activate\n");
  });

  it("a key FRR cannot take is refused, and the peer gets no session rather than one without it", () => {
    const secrets = new Map([
      ["k", { type: "kubernetes.io/basic-auth", password: Buffer.from("two words") }],
    ]);
    const r = render(
      [{ name: "frr", spec: router({ passwordSecret: { name: "k" } }) }],
      { frr: [] },
      [],
      { namespace: NS, secrets },
    );
    expect(r.problems.map((p) => [p.field, p.message])).toEqual([
      [["spec", "passwordSecret"], expect.stringMatching(/blank, a line break/)],
    ]);
    expect(r.text).not.toContain("neighbor");
  });
});

describe("stable numbering", () => {
  it("a new prefix adds its lines and changes none of the others (frr-reload.py applies a diff)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { minLength: 2, maxLength: 40 }),
        (octets) => {
          const routes = (n: number) => ({
            p: octets.slice(0, n).map((o) => route(`203.0.113.${o}/32`)),
          });
          const lines = (n: number) =>
            new Set(render([{ name: "p", spec: router() }], routes(n)).text.split("\n"));
          const before = lines(octets.length - 1);
          const after = lines(octets.length);
          const added = [...after].filter((l) => !before.has(l));
          const removed = [...before].filter((l) => !after.has(l));
          const last = `203.0.113.${octets.at(-1)}/32`;
          expect(removed).toEqual([]);
          expect(added).toHaveLength(2); // its network line and its prefix-list entry
          for (const l of added) expect(l).toContain(last);
        },
      ),
    );
  });
});

describe("no configuration injection (property)", () => {
  const anyText = fc.oneof(
    fc.string({ minLength: 1, maxLength: 20 }),
    fc.constantFrom(
      "x\nrouter bgp 1",
      "x\r\n neighbor 10.0.0.1 remote-as 1",
      "a b",
      "ok\u0000",
      "p\tq",
      "!comment",
    ),
  );

  it("a user value either is refused with a problem naming its field, or changes one word only", () => {
    const fields = ["password", "vrf", "interface", "bfdProfile"] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), anyText, (field, value) => {
        const make = (v: string) => {
          const spec =
            field === "interface"
              ? { myASN: 64513, peerASN: 64512, interface: v }
              : router({ [field]: v });
          const bfd = field === "bfdProfile" ? [{ name: v, spec: {} }] : [];
          return render([{ name: "p", spec }], { p: [route("203.0.113.1/32")] }, bfd);
        };
        const benign = "benign0";
        const got = make(value);
        const base = make(benign);
        if (got.problems.length) {
          // Refused: named, and nothing of the peer reached the file.
          expect(got.problems.some((p) => p.field.includes(field))).toBe(true);
          expect(got.text).not.toContain("neighbor");
          return;
        }
        // Accepted values are single words of printable ASCII.
        expect([...value].every((c) => c > " " && c <= "~")).toBe(true);
        if (field === "vrf" && value === "default") return; // the default VRF: no instance of its own
        // The same file with the value where the benign word was: same lines, same shapes.
        expect(got.text).toBe(base.text.replaceAll(benign, () => value));
      }),
      { numRuns: 400 },
    );
  });
});
