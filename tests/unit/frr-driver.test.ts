// The FRR driver's shell logic with a recording FrrControl (the real agent and FRR are in
// tests/net/frr-mode.test.ts): a burst of passes is one reload; a refusal becomes the
// FRRConfiguration condition with FRR's message and is not retried until the text changes; a
// failed apply of text FRR accepted (a daemon restarting) is retried until FRR takes it.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/model/index.js";
import type { FrrControl, ReloadResult } from "../../src/runtime/speaker/frr/agent-client.js";
import { FrrBgpDriver } from "../../src/runtime/speaker/frr/driver.js";
import type { DesiredRoute } from "../../src/runtime/speaker/desired-routes.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} } as never;

class Recording implements FrrControl {
  reloads: string[] = [];
  answer: (text: string) => ReloadResult = () => ({ ok: true, ms: 1 });
  reload(config: string): Promise<ReloadResult> {
    this.reloads.push(config);
    return Promise.resolve(this.answer(config));
  }
  showAll(commands: string[]): Promise<unknown[]> {
    return Promise.resolve(commands.map(() => ({})));
  }
}

const config = parseConfig(
  { bgpPeers: [{ name: "r", spec: { myASN: 64513, peerASN: 64512, peerAddress: "192.0.2.1" } }] },
  { namespace: "metallb-system" },
);
const routes = (n: number): Map<string, DesiredRoute[]> =>
  new Map([
    [
      "r",
      Array.from({ length: n }, (_, i) => ({
        prefix: `203.0.113.${i + 1}/32`,
        family: 4 as const,
        communities: [],
        largeCommunities: [],
        services: [],
      })),
    ],
  ]);
const node = { name: "n1", ipv4: "192.0.2.11" };
const ctx = { namespace: "metallb-system", secrets: new Map() };

describe("FRR driver", () => {
  it("gathers a burst of passes into one reload of the last configuration", async () => {
    const control = new Recording();
    const d = new FrrBgpDriver({ control, log: quiet, debounceMs: 50, pollMs: 60_000 });
    for (let i = 1; i <= 10; i++) await d.apply(config.peers, routes(i), node, ctx);
    await d.settled();
    expect(control.reloads).toHaveLength(1);
    expect(control.reloads[0]).toContain("203.0.113.10/32");
    // The same configuration again is no reload.
    await d.apply(config.peers, routes(10), node, ctx);
    await d.settled();
    expect(control.reloads).toHaveLength(1);
    expect(d.conditions()).toEqual([expect.objectContaining({ status: "True" })]);
    await d.stop();
  });

  it("a refusal is a False condition with FRR's message, kept until a different configuration is taken", async () => {
    const control = new Recording();
    control.answer = (t) =>
      t.includes("203.0.113.2/32")
        ? { ok: false, stage: "check", message: "line 7: % Unknown command" }
        : { ok: true, ms: 1 };
    const changes: number[] = [];
    const d = new FrrBgpDriver({
      control,
      log: quiet,
      debounceMs: 0,
      pollMs: 60_000,
      onChange: () => changes.push(1),
    });
    await d.apply(config.peers, routes(1), node, ctx);
    await d.settled();
    await d.apply(config.peers, routes(2), node, ctx);
    await d.settled();
    expect(d.conditions()).toEqual([
      {
        type: "FRRConfiguration",
        status: "False",
        reason: "FRRRejectedConfiguration",
        message: "line 7: % Unknown command; the last configuration FRR took keeps running",
      },
    ]);
    expect(d.running()).toContain("203.0.113.1/32");
    expect(d.running()).not.toContain("203.0.113.2/32");
    await d.apply(config.peers, routes(2), node, ctx);
    await d.settled();
    expect(control.reloads).toHaveLength(2); // not retried
    // A different configuration is offered; one FRR takes clears the condition.
    await d.apply(config.peers, routes(1), node, ctx);
    await d.settled();
    expect(d.conditions()).toEqual([expect.objectContaining({ status: "True" })]);
    expect(changes.length).toBeGreaterThan(0);
    await d.stop();
  });

  it("a failed apply (bgpd restarting) is retried, backing off, until FRR takes the text", async () => {
    const control = new Recording();
    const seen: unknown[] = [];
    let down = 3;
    // What the ConfigurationState would show while each retry is under way.
    control.answer = () => {
      seen.push(d.conditions());
      return down-- > 0
        ? { ok: false, stage: "reload", message: 'vtysh returned status 1 for command "write"' }
        : { ok: true, ms: 1 };
    };
    const d = new FrrBgpDriver({ control, log: quiet, debounceMs: 0, pollMs: 60_000, retryMs: 5 });
    await d.apply(config.peers, routes(1), node, ctx);
    // settled() waits through the retries (5, 10 and 20 ms): the fourth attempt is taken.
    await d.settled();
    expect(control.reloads).toHaveLength(4);
    expect(new Set(control.reloads).size).toBe(1);
    expect(seen[1]).toEqual([
      {
        type: "FRRConfiguration",
        status: "False",
        reason: "FRRApplyFailed",
        message:
          'vtysh returned status 1 for command "write"; the last configuration FRR took keeps running; retrying',
      },
    ]);
    expect(d.conditions()).toEqual([expect.objectContaining({ status: "True" })]);
    expect(d.running()).toContain("203.0.113.1/32");
    await d.stop();
  });
});
