// The native addon's contract at the JS boundary: interface facts, and failures as exceptions
// carrying errno names (the wire behaviour is tested in tests/net).
import { describe, expect, it } from "vitest";
import {
  isNativeError,
  links,
  openPacketSocket,
  setTcpMd5,
} from "../../src/runtime/native/index.js";
import { interfaceFacts } from "../../src/runtime/l2/interfaces.js";

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
};

describe("native addon", () => {
  it("lists this namespace's interfaces, loopback included", () => {
    const lo = links().find((l) => l.name === "lo");
    expect(lo).toBeDefined();
    expect(interfaceFacts(lo!)).toMatchObject({
      loopback: true,
      up: true,
      ethernet: false,
      enslaved: false,
    });
  });

  it("reports a missing interface as ENODEV", () => {
    const err = thrown(() => openPacketSocket("nosuchif0", () => undefined));
    expect(isNativeError(err, "ENODEV")).toBe(true);
    expect((err as Error).message).toContain("nosuchif0");
  });

  it("reports a bad descriptor as EBADF and bad arguments as EINVAL type errors", () => {
    expect(
      isNativeError(
        thrown(() => setTcpMd5(1_000_000, "192.0.2.1", "k")),
        "EBADF",
      ),
    ).toBe(true);
    const bad = thrown(() => setTcpMd5(0, "not-an-address", "k"));
    expect(bad).toBeInstanceOf(TypeError);
    expect((bad as Error).message).toMatch(/not an IPv4 or IPv6 address/);
    expect((thrown(() => setTcpMd5(0, "192.0.2.1", "k".repeat(81))) as Error).message).toMatch(
      /at most 80 bytes/,
    );
  });
});
