import { describe, expect, it } from "vitest";
import type { BGPPeerSpec } from "../../src/api/kinds/bgppeer.js";
import {
  durationSeconds,
  peerConfig,
  routerIdFor,
} from "../../src/runtime/speaker/bgp-peer-config.js";
import { checkPeerConfig } from "../../src/runtime/speaker/bgp/session.js";

const spec = (over: Partial<BGPPeerSpec> = {}): BGPPeerSpec => ({
  myASN: 64500,
  peerASN: 4200000001,
  peerAddress: "2001:db8::1",
  ...over,
});
const node = { name: "n1", ipv4: "192.0.2.10" };

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
    });
    expect(checkPeerConfig(v.config!)).toEqual([]);
  });

  it("dynamicASN, both families by default, router ID fallbacks", () => {
    const v = peerConfig(
      { name: "p", spec: spec({ peerASN: undefined, dynamicASN: "internal" }) },
      node,
    );
    expect(v.config).toMatchObject({ peerAsn: "internal", families: [4, 6] });
    expect(routerIdFor(spec({ routerID: "198.51.100.1" }), node)).toBe("198.51.100.1");
    const hashed = routerIdFor(spec(), { name: "v6-only" });
    expect(hashed).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(routerIdFor(spec(), { name: "v6-only" })).toBe(hashed);
    expect(checkPeerConfig({ ...v.config!, routerId: hashed })).toEqual([]);
  });

  it("refuses what native mode cannot do, with the fix; tolerates BFD and multihop with a note", () => {
    const refused = peerConfig(
      { name: "p", spec: spec({ passwordSecret: { name: "s" }, vrf: "red" }) },
      node,
    );
    expect(refused.config).toBeUndefined();
    expect(refused.problems.join("\n")).toMatch(/TCP MD5.*FRR mode/);
    expect(refused.problems.join("\n")).toMatch(/vrf "red"/);
    const noted = peerConfig(
      { name: "p", spec: spec({ bfdProfile: "fast", ebgpMultiHop: true }) },
      node,
    );
    expect(noted.config).toBeDefined();
    expect(noted.problems).toHaveLength(2);
  });

  it("parses Go durations", () => {
    expect(durationSeconds("1h2m3s")).toBe(3723);
    expect(durationSeconds("1.5s")).toBe(1.5);
    expect(durationSeconds("250ms")).toBe(0.25);
  });
});
