// The process helpers every tool shares.
import { describe, expect, it } from "vitest";
import { argv } from "../../src/sys/proc.js";

describe("argv`…`", () => {
  it("splits the literal text at spaces and keeps each value one argument", () => {
    const ns = "lab ns";
    expect(argv`ip -n ${ns} link set ${"eth0"} up`).toEqual([
      "ip",
      "-n",
      "lab ns",
      "link",
      "set",
      "eth0",
      "up",
    ]);
  });

  it("joins a value with the text it touches, and values with each other", () => {
    expect(argv`sysctl -qw net.ipv6.conf.${"all"}.disable_ipv6=1`).toEqual([
      "sysctl",
      "-qw",
      "net.ipv6.conf.all.disable_ipv6=1",
    ]);
    expect(argv`${"a"}${2} b`).toEqual(["a2", "b"]);
    expect(argv`x ${""} y`).toEqual(["x", "", "y"]);
  });
});
