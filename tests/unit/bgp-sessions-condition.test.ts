// The BGPSessions condition of a speaker's ConfigurationState (pure; its real counterpart is the
// lab check, where `metallb-ts status` reads it from three speakers peering with FRR).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bgpSessionsCondition, speakerConditions } from "../../src/runtime/speaker/report-plan.js";
import type { BgpSessionFact } from "../../src/runtime/speaker/drivers.js";

const fact = fc.record({
  peer: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
  address: fc.constantFrom("192.0.2.1", "2001:db8::1"),
  established: fc.boolean(),
  lastError: fc.option(fc.constantFrom("connect ECONNREFUSED", "hold timer expired"), {
    nil: undefined,
  }),
});

describe("BGPSessions condition", () => {
  it("is absent without sessions, True exactly when all are up, and names every peer", () => {
    expect(bgpSessionsCondition([])).toBeUndefined();
    fc.assert(
      fc.property(
        fc.uniqueArray(fact, { selector: (f) => f.peer, minLength: 1, maxLength: 5 }),
        (facts) => {
          const c = bgpSessionsCondition(facts)!;
          const allUp = facts.every((f) => f.established);
          expect(c.status).toBe(allUp ? "True" : "False");
          expect(c.reason).toBe(allUp ? "SessionsEstablished" : "SessionsNotEstablished");
          for (const f of facts) expect(c.message).toContain(`${f.peer} (${f.address})`);
          // The same sessions in another order give the same condition: no rewrite for nothing.
          expect(bgpSessionsCondition([...facts].reverse() as BgpSessionFact[])).toEqual(c);
        },
      ),
    );
  });

  it("puts the sessions that are down first, with why", () => {
    const c = bgpSessionsCondition([
      { peer: "a", address: "192.0.2.1", established: true },
      { peer: "b", address: "2001:db8::1", established: false, lastError: "hold timer expired" },
    ]);
    expect(c?.message).toBe(
      "b (2001:db8::1) not Established: hold timer expired; a (192.0.2.1) Established",
    );
  });

  it("comes after the speaker's other conditions, only on a node with BGP peers", () => {
    const base = { heartbeats: true, heartbeatProblems: [], addressProblems: [] };
    expect(speakerConditions(base).map((c) => c.type)).toEqual([
      "HeartbeatPeers",
      "AddressesAnnounceable",
    ]);
    expect(
      speakerConditions({
        ...base,
        bgpSessions: [{ peer: "a", address: "192.0.2.1", established: true }],
      }).map((c) => c.type),
    ).toEqual(["HeartbeatPeers", "AddressesAnnounceable", "BGPSessions"]);
  });
});
