// A BGP peer cannot make the speaker buffer without bound: one that stops reading gets its
// session reset with a Cease (Out of Resources); one that floods ROUTE-REFRESH gets at most one
// answer per interval; a well-behaved peer beside them stays Established. Real sockets on
// loopback, real sessions; the misbehaving peers are small TCP servers speaking BGP.
import { afterEach, describe, expect, it } from "vitest";
import {
  misbehavingPeer,
  type MisbehavingPeer,
  type PeerBehaviour,
} from "../../src/lab/bgp-misbehaving-peer.js";
import { BgpSession, type SessionEvent } from "../../src/runtime/bgp/session.js";
import { waitFor } from "../../src/sys/proc.js";

const sessions: BgpSession[] = [];
const peers: MisbehavingPeer[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop().catch(() => undefined);
  for (const p of peers.splice(0)) await p.close();
});

/** Every host route the documentation ranges hold (768), in 100 community groups. */
const routes = ["192.0.2", "198.51.100", "203.0.113"].flatMap((net, n) =>
  Array.from({ length: 256 }, (_, i) => ({
    prefix: `${net}.${i}/32`,
    communities: [`64512:${(n * 256 + i) % 100}`],
    largeCommunities: [],
  })),
);

async function session(
  behaviour: PeerBehaviour,
  opts: ConstructorParameters<typeof BgpSession>[1] = {},
): Promise<{ s: BgpSession; events: SessionEvent[]; peer: MisbehavingPeer }> {
  const peer = await misbehavingPeer(behaviour);
  peers.push(peer);
  const s = new BgpSession(
    {
      address: "127.0.0.1",
      port: peer.port,
      localAsn: 64512,
      peerAsn: 64513,
      routerId: "192.0.2.1",
      families: [4],
      connectRetry: { initialMs: 60_000, maxMs: 60_000 },
    },
    opts,
  );
  sessions.push(s);
  const events: SessionEvent[] = [];
  s.onEvent((e) => events.push(e));
  s.setRoutes(routes);
  s.start();
  await waitFor(
    "Established",
    () => Promise.resolve(s.state === "Established" ? true : undefined),
    10_000,
    10,
  );
  return { s, events, peer };
}

describe("BGP sessions against peers that misbehave", () => {
  it("a peer that stops reading is reset with Cease/Out of Resources once its backlog passes the bound; a reading peer stays up", async () => {
    const good = await session("reads");
    // Every refresh answered at once (no rate limit) so the stalled peer's backlog grows fast.
    const bad = await session("floods", { maxWriteBuffer: 1024 * 1024, refreshIntervalMs: 0 });
    const down = await waitFor(
      "the stalled peer's session is reset",
      () => Promise.resolve(bad.events.find((e) => e.type === "down")),
      30_000,
      20,
    );
    expect(down.type === "down" ? down.reason : "").toMatch(/Out of Resources/);
    expect(bad.s.stats().routeRefreshes.answered).toBeGreaterThan(1);
    expect(good.s.state).toBe("Established");
    expect(good.events.some((e) => e.type === "down")).toBe(false);
  });

  it("ROUTE-REFRESH floods are answered once per interval, the rest folded into it", async () => {
    const { s, peer } = await session("floods", { refreshIntervalMs: 2000 });
    await waitFor(
      "a thousand refreshes sent",
      () => Promise.resolve(peer.sent >= 1000 ? true : undefined),
      10_000,
      10,
    );
    const { answered, coalesced } = s.stats().routeRefreshes;
    // A stalled reader also means the kernel may not hand us every request yet; what arrived
    // was folded: at most the first answer and one pending per interval.
    expect(answered).toBeLessThanOrEqual(2);
    expect(coalesced).toBeGreaterThan(0);
  });
});
