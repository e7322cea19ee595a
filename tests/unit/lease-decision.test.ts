import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideLease, type LeaseState } from "../../src/runtime/kube/lease-decision.js";

describe("decideLease", () => {
  it("takes a free Lease", () => {
    expect(decideLease(undefined, "a", 1000, 15)).toEqual({
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
      20,
      15,
    );
    expect(d).toEqual({
      action: "renew",
      lease: { holder: "a", acquireTime: 5, renewTime: 20, durationSeconds: 15, transitions: 2 },
    });
  });

  it("waits while another holder's Lease is live, takes it once expired, counting the transition", () => {
    const held: LeaseState = {
      holder: "b",
      renewTime: 10_000,
      durationSeconds: 15,
      transitions: 1,
    };
    expect(decideLease(held, "a", 24_999, 15)).toEqual({
      action: "wait",
      holder: "b",
      expiresAt: 25_000,
    });
    expect(decideLease(held, "a", 25_000, 15)).toMatchObject({
      action: "acquire",
      lease: { holder: "a", transitions: 2 },
    });
  });

  it("never takes a Lease from a live holder, and only its holder renews it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.integer({ min: 0, max: 2_000 })), {
          minLength: 1,
          maxLength: 40,
        }),
        (steps) => {
          // Candidates act one after another on one Lease (the API server serialises writes).
          let lease: LeaseState | undefined;
          let now = 0;
          for (const [me, dt] of steps) {
            now += dt * 10;
            const d = decideLease(lease, me, now, 15);
            const live =
              lease?.holder && now < (lease.renewTime ?? 0) + (lease.durationSeconds ?? 0) * 1000;
            if (d.action === "acquire") expect(live && lease?.holder !== me).toBeFalsy();
            if (d.action === "renew") expect(lease?.holder).toBe(me);
            if (d.action === "wait") expect(live).toBeTruthy();
            if (d.action !== "wait") lease = d.lease;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
