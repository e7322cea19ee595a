// FRR mode's VRF on the wire. The configuration the speaker renders for a BGPPeer with `vrf:
// red` is applied by the FRR agent to FRR in a node whose peer sits behind a Linux VRF device,
// and the router beyond it learns the Service's prefix from that session. This machine's kernel
// has no VRF devices, so it runs inside User-mode Linux (src/lab/net/uml-vrf.ts); where the
// kernel has them, tests/net/frr-mode.test.ts also runs the whole speaker against a VRF.
import { describe, expect, it } from "vitest";
import { NODE_VRF_ADDRESS, ROUTER_VRF_ADDRESS, runVrfInUml } from "../../src/lab/net/uml-vrf.js";
import { parseConfig } from "../../src/model/index.js";
import type { DesiredRoute } from "../../src/runtime/speaker/desired-routes.js";
import { renderFrrConfig } from "../../src/runtime/speaker/frr/render.js";

const PREFIX = "203.0.113.10/32";

describe("FRR mode: a BGPPeer in a Linux VRF (User-mode Linux kernel)", () => {
  it("the rendered configuration brings the session up inside the VRF and the router learns the prefix", async () => {
    const config = parseConfig(
      {
        bgpPeers: [
          {
            name: "red-router",
            spec: { myASN: 64513, peerASN: 64512, peerAddress: ROUTER_VRF_ADDRESS, vrf: "red" },
          },
        ],
      },
      { namespace: "metallb-system" },
    );
    const route: DesiredRoute = {
      prefix: PREFIX,
      family: 4,
      communities: ["64512:300"],
      largeCommunities: [],
      services: [],
    };
    const rendered = renderFrrConfig({
      node: { name: "n1", ipv4: NODE_VRF_ADDRESS },
      peers: config.peers,
      routes: new Map([["red-router", [route]]]),
      bfdProfiles: config.bfdProfiles,
      ctx: { namespace: "metallb-system", secrets: new Map() },
    });
    expect(rendered.problems).toEqual([]);
    expect(rendered.text).toContain("router bgp 64513 vrf red");
    const result = await runVrfInUml({
      nodeConfig: rendered.text,
      routerConfig: [
        "router bgp 64512",
        ` bgp router-id ${ROUTER_VRF_ADDRESS}`,
        " no bgp ebgp-requires-policy",
        ` neighbor ${NODE_VRF_ADDRESS} remote-as 64513`,
        " address-family ipv4 unicast",
        `  neighbor ${NODE_VRF_ADDRESS} activate`,
        " exit-address-family",
        "",
      ].join("\n"),
      vrf: { name: "red", table: 10 },
      prefix: PREFIX,
    });
    expect(result.reload, result.console).toMatchObject({ ok: true });
    expect(result.nodeSummary.ipv4Unicast?.peers?.[ROUTER_VRF_ADDRESS]?.state, result.console).toBe(
      "Established",
    );
    const paths = result.routerRib.routes?.[PREFIX] ?? [];
    expect(
      paths.flatMap((p) => (p.nexthops ?? []).map((n) => n.ip)),
      result.console,
    ).toEqual([NODE_VRF_ADDRESS]);
  });
});
