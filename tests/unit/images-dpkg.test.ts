// dpkg metadata written for the extracted base: control parsing, status stanzas, file lists.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  debPackage,
  infoStem,
  listFromContents,
  parseControl,
  statusFile,
  type ControlFields,
} from "../../src/images/dpkg.js";

const LIBC = `Package: libc6
Source: glibc
Version: 2.41-12+deb13u5
Architecture: amd64
Multi-Arch: same
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
`;

describe("dpkg metadata", () => {
  it("parses a control stanza, keeping order and continuation lines", () => {
    const fields = parseControl(LIBC);
    expect(fields.map(([f]) => f)).toEqual([
      "Package",
      "Source",
      "Version",
      "Architecture",
      "Multi-Arch",
      "Depends",
      "Description",
    ]);
    expect(fields[6]?.[1]).toBe(
      "GNU C Library: Shared libraries\n Contains the standard libraries that are used by nearly all programs on\n the system.",
    );
  });

  it("refuses text that is not a control stanza, naming the line", () => {
    expect(() => parseControl(" leading continuation")).toThrow(/continuation line/);
    expect(() => parseControl("Package libc6")).toThrow('not a control field: "Package libc6"');
    expect(() => debPackage(parseControl("Package: x\n"))).toThrow(/lacks Package, Version/);
  });

  it("takes source name and version from Source, defaulting to the binary's", () => {
    const libc = debPackage(parseControl(LIBC));
    expect(libc).toMatchObject({ source: "glibc", sourceVersion: "2.41-12+deb13u5" });
    const gcc = debPackage(
      parseControl(
        "Package: libgcc-s1\nSource: gcc-14 (14.2.0-19)\nVersion: 14.2.0-19\nArchitecture: amd64\n",
      ),
    );
    expect(gcc).toMatchObject({ source: "gcc-14", sourceVersion: "14.2.0-19" });
    const mawk = debPackage(parseControl("Package: mawk\nVersion: 1.3.4\nArchitecture: amd64\n"));
    expect(mawk).toMatchObject({ source: "mawk", sourceVersion: "1.3.4" });
  });

  it("qualifies info files of Multi-Arch: same packages with the architecture", () => {
    expect(infoStem(debPackage(parseControl(LIBC)))).toBe("libc6:amd64");
    expect(
      infoStem(debPackage(parseControl("Package: mawk\nVersion: 1\nArchitecture: amd64\n"))),
    ).toBe("mawk");
  });

  it("writes installed stanzas sorted by package name", () => {
    const mawk = debPackage(parseControl("Package: mawk\nVersion: 1\nArchitecture: amd64\n"));
    const libc = debPackage(parseControl(LIBC));
    const status = statusFile([mawk, libc]);
    const stanzas = status.trim().split("\n\n");
    expect(stanzas).toHaveLength(2);
    expect(stanzas[0]).toMatch(/^Package: libc6\nStatus: install ok installed\nSource: glibc\n/);
    expect(stanzas[1]).toBe(
      "Package: mawk\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64",
    );
  });

  it("turns dpkg-deb --contents into dpkg's .list paths", () => {
    const contents = [
      "drwxr-xr-x root/root         0 2025-01-31 12:00 ./",
      "drwxr-xr-x root/root         0 2025-01-31 12:00 ./usr/lib/",
      "-rw-r--r-- root/root   2003992 2025-01-31 12:00 ./usr/lib/x86_64-linux-gnu/libc.so.6",
      "lrwxrwxrwx root/root         0 2025-01-31 12:00 ./lib64 -> usr/lib64",
      "hrwxr-xr-x root/root         0 2025-01-31 12:00 ./usr/bin/b link to ./usr/bin/a",
      "-rw-r--r-- root/root        10 2025-01-31 12:00 ./usr/share/doc/a b/copyright",
      "",
    ].join("\n");
    expect(listFromContents(contents)).toBe(
      [
        "/.",
        "/usr/lib",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/lib64",
        "/usr/bin/b",
        "/usr/share/doc/a b/copyright",
        "",
      ].join("\n"),
    );
    expect(() => listFromContents("garbage line")).toThrow(/unexpected dpkg-deb -c line/);
  });

  it("parses back what a status stanza renders (property)", () => {
    const name = fc.stringMatching(/^[A-Z][A-Za-z-]{0,15}$/);
    const line = fc.stringMatching(/^[!-~][ -~]{0,30}[!-~]$/);
    const value = fc
      .tuple(line, fc.array(line, { maxLength: 3 }))
      .map(([first, rest]) => [first, ...rest.map((l) => ` ${l}`)].join("\n"));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([f]) => f }), (extra) => {
        const fields: ControlFields = [
          ["Package", "p"],
          ["Version", "1"],
          ["Architecture", "amd64"],
          ...extra.filter(([f]) => !["Package", "Version", "Architecture", "Status"].includes(f)),
        ];
        const parsed = parseControl(statusFile([debPackage(fields)]));
        expect(parsed).toEqual([fields[0], ["Status", "install ok installed"], ...fields.slice(1)]);
      }),
    );
  });
});
