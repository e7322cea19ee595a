import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decideLease,
  leaseRecord,
  type LeaseState,
} from "../../src/runtime/kube/lease-decision.js";

/** One clock for everything, and the Lease seen changing at `observedAt`. */
const at = (now: number, observedAt = 0) => ({ wall: now, mono: now, observedAt });

describe("decideLease", () => {
  it("takes a free Lease", () => {
    expect(decideLease(undefined, "a", at(1000), 15)).toEqual({
      action: "acquire",
      lease: {
        holder: "a",
        acquireTime: 1000,
        renewTime: 1000,
        durationSeconds: 15,
        transitions: 0,
      },
    });
  });

  it("renews its own Lease, keeping the acquire time", () => {
    const d = decideLease(
      { holder: "a", acquireTime: 5, renewTime: 10, durationSeconds: 15, transitions: 2 },
      "a",
      at(20),
      15,
    );
    expect(d).toEqual({
      action: "renew",
      lease: { holder: "a", acquireTime: 5, renewTime: 20, durationSeconds: 15, transitions: 2 },
    });
  });

  it("waits while another holder's Lease is seen changing, takes it once unchanged for the duration", () => {
    const held: LeaseState = {
      holder: "b",
      renewTime: 10_000,
      durationSeconds: 15,
      transitions: 1,
    };
    expect(decideLease(held, "a", at(24_999, 10_000), 15)).toEqual({
      action: "wait",
      holder: "b",
      expiresAt: 25_000,
    });
    expect(decideLease(held, "a", at(25_000, 10_000), 15)).toMatchObject({
      action: "acquire",
      lease: { holder: "a", transitions: 2 },
    });
  });

  it("never reads the holder's clock: an hour ahead it is not immortal, an hour behind not deposed", () => {
    const hour = 3_600_000;
    const ahead: LeaseState = { holder: "b", renewTime: 50_000 + hour, durationSeconds: 15 };
    // Unchanged since this candidate saw it at 50 s: expired at 65 s, whatever it says.
    expect(decideLease(ahead, "a", at(65_000, 50_000), 15).action).toBe("acquire");
    const behind: LeaseState = { holder: "b", renewTime: 50_000 - hour, durationSeconds: 15 };
    // Seen changing just now: live, however old its renewTime looks.
    expect(decideLease(behind, "a", at(50_001, 50_000), 15).action).toBe("wait");
  });

  it("the record changes with each renewal, and only then", () => {
    const l: LeaseState = { holder: "b", renewTime: 1, acquireTime: 0, transitions: 0 };
    expect(leaseRecord(l)).toBe(leaseRecord({ ...l }));
    expect(leaseRecord(l)).not.toBe(leaseRecord({ ...l, renewTime: 2 }));
    expect(leaseRecord(l)).not.toBe(leaseRecord({ ...l, holder: "c" }));
  });

  it("never takes a Lease from a holder that renewed within the duration, whatever the clocks say", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom("a", "b", "c"),
            fc.integer({ min: 0, max: 2_000 }),
            // Each candidate's wall clock is off by its own amount, up to an hour either way.
            fc.integer({ min: -3_600_000, max: 3_600_000 }),
          ),
          { minLength: 1, maxLength: 40 },
        ),
        (steps) => {
          // Candidates act one after another on one Lease (the API server serialises writes);
          // each reads it before deciding and notes when its record last changed.
          let lease: LeaseState | undefined;
          let mono = 0;
          /** When the Lease was last written (true time). */
          let writtenAt = -Infinity;
          const observed = new Map<string, { record: string; at: number }>();
          for (const [me, dt, skew] of steps) {
            mono += dt * 10;
            const record = leaseRecord(lease);
            const seen = observed.get(me);
            if (seen?.record !== record) observed.set(me, { record, at: mono });
            const observedAt = observed.get(me)!.at;
            const d = decideLease(lease, me, { wall: mono + skew, mono, observedAt }, 15);
            const live = !!lease?.holder && mono < writtenAt + (lease.durationSeconds ?? 0) * 1000;
            if (d.action === "acquire") expect(live && lease?.holder !== me).toBe(false);
            if (d.action === "renew") expect(lease?.holder).toBe(me);
            if (d.action !== "wait") {
              lease = d.lease;
              writtenAt = mono;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
