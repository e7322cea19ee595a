// Debian package metadata as dpkg keeps it, so that the extracted (never dpkg-installed) base
// looks installed to image scanners: /var/lib/dpkg/status and info/<pkg>.{list,md5sums}.

export type ControlFields = [field: string, value: string][];

/** Parses one control stanza (`dpkg-deb -f`), keeping field order and continuation lines. */
export function parseControl(text: string): ControlFields {
  const fields: ControlFields = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line)) {
      if (!last) throw new Error(`control text starts with a continuation line: "${line}"`);
      last[1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`not a control field: "${line}"`);
    fields.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return fields;
}

export function field(fields: ControlFields, name: string): string | undefined {
  const lower = name.toLowerCase();
  return fields.find(([f]) => f.toLowerCase() === lower)?.[1];
}

export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  /** Source package name and version (they default to the binary's). */
  source: string;
  sourceVersion: string;
  multiArchSame: boolean;
  control: ControlFields;
}

export function debPackage(control: ControlFields): DebPackage {
  const name = field(control, "Package");
  const version = field(control, "Version");
  const architecture = field(control, "Architecture");
  if (!name || !version || !architecture) {
    throw new Error("control stanza lacks Package, Version or Architecture");
  }
  // "Source: glibc (2.41-12)" names the source version when it differs from the binary's.
  const src = /^(\S+)(?:\s+\(([^)]+)\))?$/.exec(field(control, "Source") ?? "");
  return {
    name,
    version,
    architecture,
    source: src?.[1] ?? name,
    sourceVersion: src?.[2] ?? version,
    multiArchSame: field(control, "Multi-Arch") === "same",
    control,
  };
}

/** dpkg's info file stem: Multi-Arch: same packages are qualified with their architecture. */
export function infoStem(p: DebPackage): string {
  return p.multiArchSame ? `${p.name}:${p.architecture}` : p.name;
}

/** /var/lib/dpkg/status for these packages, sorted by name as dpkg writes it. */
export function statusFile(packages: DebPackage[]): string {
  return [...packages]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => {
      const rest = p.control.filter(([f]) => f !== "Package" && f !== "Status");
      return [
        `Package: ${p.name}`,
        "Status: install ok installed",
        ...rest.map(([f, v]) => `${f}: ${v}`),
      ].join("\n");
    })
    .join("\n\n")
    .concat("\n");
}

/**
 * The paths a package owns, in dpkg's .list form ("/.", "/usr", …), from `dpkg-deb -c` lines
 * ("drwxr-xr-x root/root 0 2025-01-31 12:00 ./usr/").
 */
export function listFromContents(contents: string): string {
  const paths = contents
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const cols = l.trim().split(/\s+/);
      if (cols.length < 6) throw new Error(`unexpected dpkg-deb -c line: "${l}"`);
      const path = cols
        .slice(5)
        .join(" ")
        .replace(/ (->|link to) .*$/, "")
        .replace(/^\.\//, "/")
        .replace(/(.)\/$/, "$1");
      return path === "/" ? "/." : path;
    });
  return paths.join("\n").concat("\n");
}
