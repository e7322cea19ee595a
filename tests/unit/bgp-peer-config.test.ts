import { describe, expect, it } from "vitest";
import type { BGPPeerSpec } from "../../src/api/kinds/bgppeer.js";
import { durationMs } from "../../src/api/formats/duration.js";
import { describeProblem, parseConfig } from "../../src/model/index.js";
import {
  peerConfig as nativeConfig,
  routerIdFor,
  type PeerContext,
  type PeerVerdict,
  type SecretFacts,
} from "../../src/runtime/speaker/bgp-peer-config.js";
import { checkPeerConfig } from "../../src/runtime/bgp/session.js";

const spec = (over: Partial<BGPPeerSpec> = {}): BGPPeerSpec => ({
  myASN: 64500,
  peerASN: 4200000001,
  peerAddress: "2001:db8::1",
  ...over,
});
const node = { name: "n1", ipv4: "192.0.2.10" };

/**
 * A BGPPeer as written → the native configuration, as the speaker does it: parsed by the model,
 * then mapped; the problems are the model's for the peer and the native speaker's.
 */
function peerConfig(
  peer: { name: string; spec: BGPPeerSpec },
  n: typeof node | { name: string },
  c: PeerContext,
): PeerVerdict {
  const config = parseConfig({ bgpPeers: [peer] }, { namespace: c.namespace });
  const v = nativeConfig(config.peers[0]!, n, c);
  return { ...v, problems: [...config.problems.map(describeProblem), ...v.problems] };
}
const ctx: PeerContext = { namespace: "metallb-system", secrets: new Map() };

describe("BGPPeer → native session configuration", () => {
  it("maps every supported field, and the result passes the session's own checks", () => {
    const v = peerConfig(
      {
        name: "p",
        spec: spec({
          peerPort: 1179,
          holdTime: "1m30s",
          keepaliveTime: "30s",
          connectTime: "10s",
          sourceAddress: "2001:db8::10",
          enableGracefulRestart: true,
          disableMP: true,
        }),
      },
      node,
      ctx,
    );
    expect(v.problems).toEqual([]);
    expect(v.config).toEqual({
      address: "2001:db8::1",
      port: 1179,
      localAsn: 64500,
      peerAsn: 4200000001,
      routerId: "192.0.2.10",
      families: [6],
      holdTime: 90,
      keepaliveTime: 30,
      connectRetry: { initialMs: 10_000, maxMs: 120_000 },
      sourceAddress: "2001:db8::10",
      gracefulRestart: { restartTime: 120 },
      ttl: 1,
    });
    expect(checkPeerConfig(v.config!)).toEqual([]);
  });

  it("dynamicASN, both families by default, router ID fallbacks", () => {
    const v = peerConfig(
      { name: "p", spec: spec({ peerASN: undefined, dynamicASN: "internal" }) },
      node,
      ctx,
    );
    expect(v.config).toMatchObject({ peerAsn: "internal", families: [4, 6] });
    expect(routerIdFor(spec({ routerID: "198.51.100.1" }), node)).toBe("198.51.100.1");
    const hashed = routerIdFor(spec(), { name: "v6-only" });
    expect(hashed).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(routerIdFor(spec(), { name: "v6-only" })).toBe(hashed);
    expect(checkPeerConfig({ ...v.config!, routerId: hashed })).toEqual([]);
  });

  it("refuses what native mode cannot do, with the fix; tolerates BFD with a note", () => {
    const refused = peerConfig(
      { name: "p", spec: spec({ interface: "eth1", vrf: "red" }) },
      node,
      ctx,
    );
    expect(refused.config).toBeUndefined();
    expect(refused.problems.join("\n")).toMatch(/unnumbered BGP.*set peerAddress/);
    expect(refused.problems.join("\n")).toMatch(/vrf "red".*FRR mode/);
    const noted = peerConfig({ name: "p", spec: spec({ bfdProfile: "fast" }) }, node, ctx);
    expect(noted.config).toBeDefined();
    expect(noted.problems).toEqual([expect.stringMatching(/bfdProfile "fast" is ignored/)]);
  });

  it("TTL: 1 for single-hop eBGP, 255 for multihop eBGP and for iBGP", () => {
    const ttl = (over: Partial<BGPPeerSpec>) =>
      peerConfig({ name: "p", spec: spec(over) }, node, ctx).config?.ttl;
    expect(ttl({})).toBe(1);
    expect(ttl({ ebgpMultiHop: true })).toBe(255);
    expect(ttl({ peerASN: 64500 })).toBe(255);
    expect(ttl({ peerASN: undefined, dynamicASN: "external" })).toBe(1);
    expect(ttl({ peerASN: undefined, dynamicASN: "internal" })).toBe(255);
  });

  describe("TCP MD5 keys", () => {
    const withSecrets = (entries: [string, SecretFacts][]): PeerContext => ({
      namespace: "metallb-system",
      secrets: new Map(entries),
    });
    const basic = { type: "kubernetes.io/basic-auth", password: Buffer.from("s3cret") };

    it("from password, or from a basic-auth Secret's password key", () => {
      expect(
        peerConfig({ name: "p", spec: spec({ password: "inline" }) }, node, ctx).config?.password,
      ).toBe("inline");
      const v = peerConfig(
        { name: "p", spec: spec({ passwordSecret: { name: "bgp-key" } }) },
        node,
        withSecrets([["bgp-key", basic]]),
      );
      expect(v.problems).toEqual([]);
      expect(v.config?.password).toEqual(Buffer.from("s3cret"));
      expect(checkPeerConfig(v.config!)).toEqual([]);
    });

    it("a Secret's key is its bytes: NUL and bytes that are not UTF-8 reach the socket as they are", () => {
      const octets = Buffer.from([0x6b, 0x00, 0xff, 0xfe]);
      const v = peerConfig(
        { name: "p", spec: spec({ passwordSecret: { name: "bgp-key" } }) },
        node,
        withSecrets([["bgp-key", { type: basic.type, password: octets }]]),
      );
      expect(v.config?.password).toEqual(octets);
      const long = Buffer.alloc(81, 0xff);
      const tooLong = peerConfig(
        { name: "p", spec: spec({ passwordSecret: { name: "bgp-key" } }) },
        node,
        withSecrets([["bgp-key", { type: basic.type, password: long }]]),
      );
      expect(checkPeerConfig(tooLong.config!)).toEqual([
        expect.stringMatching(/longer than the 80 bytes TCP MD5 allows/),
      ]);
    });

    it.each([
      [
        "missing",
        {},
        [] as [string, SecretFacts][],
        /does not exist in namespace "metallb-system"/,
      ],
      ["other namespace", { namespace: "x" }, [["bgp-key", basic]], /must be in namespace/],
      [
        "wrong type",
        {},
        [["bgp-key", { type: "Opaque", password: Buffer.from("k") }]],
        /must be kubernetes/,
      ],
      ["no password key", {}, [["bgp-key", { type: basic.type }]], /no "password" key/],
    ] as const)("a %s Secret: no session, a problem naming the fix", (_, ref, secrets, message) => {
      const v = peerConfig(
        { name: "p", spec: spec({ passwordSecret: { name: "bgp-key", ...ref } }) },
        node,
        withSecrets(secrets.map(([n, f]): [string, SecretFacts] => [n, f])),
      );
      expect(v.config).toBeUndefined();
      expect(v.problems).toEqual([expect.stringMatching(message)]);
    });
  });

  it("parses Go durations", () => {
    expect(durationMs("1h2m3s")).toBe(3_723_000);
    expect(durationMs("1.5s")).toBe(1500);
    expect(durationMs("250ms")).toBe(250);
    expect(durationMs("ninety")).toBeUndefined();
  });
});
