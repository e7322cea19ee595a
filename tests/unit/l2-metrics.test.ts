// L2 metrics under upstream names, and per-address sums over interfaces.
import { describe, expect, it } from "vitest";
import { Registry } from "../../src/runtime/metrics/registry.js";
import { sumByIp } from "../../src/runtime/l2/node-announcers.js";
import { L2Counters } from "../../src/runtime/l2/counters.js";
import { l2Metrics } from "../../src/runtime/l2/metrics.js";

describe("L2 metrics", () => {
  it("sums per-address counters over interfaces and renders them with upstream names", () => {
    const a = new L2Counters("eth0");
    const b = new L2Counters("eth1");
    a.ip("192.0.2.100", "requestsReceived");
    a.ip("192.0.2.100", "responsesSent");
    b.ip("192.0.2.100", "requestsReceived");
    b.ip("2001:db8::100", "gratuitousSent");
    b.drop("malformed");
    const snaps = [a.snapshot(), b.snapshot()];
    const byIp = sumByIp(snaps);
    expect(byIp["192.0.2.100"]).toEqual({
      requestsReceived: 2,
      responsesSent: 1,
      gratuitousSent: 0,
      foreignClaims: 0,
    });
    const registry = new Registry();
    l2Metrics(registry).update(byIp, snaps);
    const text = registry.render();
    expect(text).toContain('metallb_layer2_requests_received{ip="192.0.2.100"} 2');
    expect(text).toContain('metallb_layer2_responses_sent{ip="192.0.2.100"} 1');
    expect(text).toContain('metallb_layer2_gratuitous_sent{ip="2001:db8::100"} 1');
    expect(text).toContain(
      'metallb_ts_layer2_frames_dropped_total{interface="eth1",reason="malformed"} 1',
    );
    expect(text).toContain("# TYPE metallb_layer2_requests_received counter");
  });

  it("drops the series of addresses given up, so they do not pile up", () => {
    const a = new L2Counters("eth0");
    for (let i = 0; i < 1000; i++) a.ip(`2001:db8::${i.toString(16)}`, "requestsReceived");
    a.retainIps((ip) => ip === "2001:db8::7");
    const registry = new Registry();
    const metrics = l2Metrics(registry);
    metrics.update(sumByIp([a.snapshot()]), [a.snapshot()]);
    expect(registry.render().match(/^metallb_layer2_requests_received\{/gm)).toHaveLength(1);
    a.retainIps(() => false);
    metrics.update(sumByIp([a.snapshot()]), [a.snapshot()]);
    expect(registry.render()).not.toMatch(/^metallb_layer2_requests_received\{/m);
  });
});
