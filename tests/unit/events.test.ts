// The event recorder's de-duplication: one event per change of message, with a bounded memory.
import { describe, expect, it } from "vitest";
import { EventRecorder } from "../../src/runtime/kube/events.js";
import { RecordingWriter, quietLog } from "./fakes/kube.js";

const ref = (name: string) => ({ apiVersion: "v1", kind: "Service", namespace: "apps", name });

describe("EventRecorder", () => {
  it("records a message once until it changes", async () => {
    const w = new RecordingWriter();
    const r = new EventRecorder(w, "test", quietLog);
    expect(await r.record(ref("a"), "Warning", "R", "one")).toBe(true);
    expect(await r.record(ref("a"), "Warning", "R", "one")).toBe(false);
    expect(await r.record(ref("a"), "Warning", "R", "two")).toBe(true);
    expect(await r.record(ref("a"), "Warning", "Other", "two")).toBe(true);
    expect(w.events.map((e) => [e.reason, e.message])).toEqual([
      ["R", "one"],
      ["R", "two"],
      ["Other", "two"],
    ]);
  });

  it("remembers at most its bound, forgetting the least recently recorded first", async () => {
    const w = new RecordingWriter();
    const r = new EventRecorder(w, "test", quietLog, 100);
    for (let i = 0; i < 5_000; i++) await r.record(ref(`svc-${i}`), "Warning", "R", "m");
    expect(r.remembered).toBe(100);
    // Recently repeated pairs stay remembered: no second event for them.
    await r.record(ref("svc-4900"), "Warning", "R", "m");
    for (let i = 0; i < 99; i++) await r.record(ref(`new-${i}`), "Warning", "R", "m");
    const before = w.events.length;
    expect(await r.record(ref("svc-4900"), "Warning", "R", "m")).toBe(false);
    // The forgotten ones cost one repeated event.
    expect(await r.record(ref("svc-0"), "Warning", "R", "m")).toBe(true);
    expect(w.events.length).toBe(before + 1);
  });
});
