// Heartbeat sealing, replay protection and failure detection (pure parts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeHeartbeat,
  verifyHeartbeat,
  type Heartbeat,
} from "../../src/runtime/heartbeat/codec.js";
import { PeerTable } from "../../src/runtime/heartbeat/peers.js";

const KEY = Buffer.from("0123456789abcdef0123456789abcdef");
const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  node: "node-a",
  incarnation: 10n,
  seq: 1n,
  sentAtMs: 1_000_000n,
  leaving: false,
  ...over,
});

describe("heartbeat codec", () => {
  it("round-trips", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,60}[a-z0-9])?$/),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.boolean(),
        (node, incarnation, seq, sentAtMs, leaving) => {
          const h = { node, incarnation, seq, sentAtMs, leaving };
          expect(verifyHeartbeat(encodeHeartbeat(h, KEY), KEY)).toEqual({
            ok: true,
            heartbeat: h,
            keyIndex: 0,
          });
        },
      ),
    );
  });

  it("accepts any of several keys (a rotation) and says which one sealed it", () => {
    const other = Buffer.from("another key of 32 bytes.........");
    const sealed = encodeHeartbeat(hb(), other);
    expect(verifyHeartbeat(sealed, [KEY, other])).toMatchObject({ ok: true, keyIndex: 1 });
    expect(verifyHeartbeat(sealed, [KEY])).toEqual({ ok: false, reason: "auth" });
  });

  it("refuses another key, any flipped bit, and random bytes, without throwing", () => {
    const good = encodeHeartbeat(hb(), KEY);
    expect(verifyHeartbeat(good, Buffer.from("another key of 32 bytes........."))).toEqual({
      ok: false,
      reason: "auth",
    });
    fc.assert(
      fc.property(fc.nat(good.length * 8 - 1), (bit) => {
        const f = Buffer.from(good);
        f[bit >> 3] = f[bit >> 3]! ^ (1 << (bit & 7));
        expect(verifyHeartbeat(f, KEY).ok).toBe(false);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        expect(verifyHeartbeat(b, KEY).ok).toBe(false);
      }),
    );
  });

  it("refuses short keys with the fix", () => {
    expect(() => encodeHeartbeat(hb(), Buffer.from("short"))).toThrow(/at least 16 random bytes/);
  });
});

describe("PeerTable", () => {
  const opts = { intervalMs: 100, missed: 3, maxSkewMs: 5000 };

  it("accepts newer sequence numbers and incarnations only", () => {
    const t = new PeerTable("me", opts);
    expect(t.receive(hb({ seq: 5n }), 1_000_000, 0)).toEqual({
      accepted: true,
      event: { node: "node-a", state: "alive" },
    });
    expect(t.receive(hb({ seq: 5n }), 1_000_000, 1)).toEqual({ accepted: false, reason: "replay" });
    expect(t.receive(hb({ seq: 4n }), 1_000_000, 1)).toEqual({ accepted: false, reason: "replay" });
    expect(t.receive(hb({ seq: 6n }), 1_000_000, 1)).toEqual({ accepted: true });
    expect(t.receive(hb({ incarnation: 11n, seq: 1n }), 1_000_000, 2)).toEqual({ accepted: true });
    expect(t.receive(hb({ incarnation: 10n, seq: 99n }), 1_000_000, 2)).toEqual({
      accepted: false,
      reason: "replay",
    });
  });

  it("refuses heartbeats sent too far from our clock, and our own", () => {
    const t = new PeerTable("me", opts);
    expect(t.receive(hb({ sentAtMs: 1_000_000n }), 1_006_000, 0)).toEqual({
      accepted: false,
      reason: "skew",
    });
    expect(t.receive(hb({ node: "me" }), 1_000_000, 0)).toEqual({
      accepted: false,
      reason: "self",
    });
  });

  it("declares a peer dead after the configured silence, alive again when it speaks", () => {
    const t = new PeerTable("me", opts);
    t.receive(hb({ seq: 1n }), 1_000_000, 1000);
    expect(t.tick(1300)).toEqual([]);
    expect(t.nextDeadline()).toBe(1300);
    expect(t.tick(1301)).toEqual([{ node: "node-a", state: "dead" }]);
    expect(t.tick(5000)).toEqual([]);
    expect(t.alive()).toEqual([]);
    expect(t.receive(hb({ seq: 2n }), 1_000_000, 5000)).toEqual({
      accepted: true,
      event: { node: "node-a", state: "alive" },
    });
  });

  it("a leaving heartbeat removes the peer at once", () => {
    const t = new PeerTable("me", opts);
    t.receive(hb({ seq: 1n }), 1_000_000, 0);
    expect(t.receive(hb({ seq: 2n, leaving: true }), 1_000_000, 10)).toEqual({
      accepted: true,
      event: { node: "node-a", state: "left" },
    });
    expect(t.alive()).toEqual([]);
    expect(t.tick(10_000)).toEqual([]);
  });

  it("a peer back from the dead or from leaving with a lower incarnation is alive again", () => {
    for (const gone of ["dead", "left"] as const) {
      const t = new PeerTable("me", opts);
      t.receive(hb({ incarnation: 10n, seq: 7n }), 1_000_000, 0);
      if (gone === "left")
        t.receive(hb({ incarnation: 10n, seq: 8n, leaving: true }), 1_000_000, 1);
      else expect(t.tick(1_000)).toEqual([{ node: "node-a", state: "dead" }]);
      // The old process's last datagram, replayed, is still refused.
      const last = gone === "left" ? 8n : 7n;
      expect(t.receive(hb({ incarnation: 10n, seq: last }), 1_000_000, 2_000)).toMatchObject({
        accepted: false,
      });
      // Restarted with its clock stepped back: a lower incarnation.
      expect(t.receive(hb({ incarnation: 9n, seq: 1n }), 1_000_000, 2_000), gone).toEqual({
        accepted: true,
        event: { node: "node-a", state: "alive" },
      });
      // The replaced process's datagrams are not news any more, late or replayed.
      expect(t.receive(hb({ incarnation: 10n, seq: 99n }), 1_000_000, 2_001)).toEqual({
        accepted: false,
        reason: "replay",
      });
    }
  });

  it("rejects settings that cannot work", () => {
    expect(() => new PeerTable("me", { intervalMs: 0, missed: 3, maxSkewMs: 1 })).toThrow(
      /interval > 0/,
    );
  });
});
