// The FRR agent's incremental apply (src/runtime/frr-agent/agent.py, additions_script), as a
// property over configurations the renderer really produces: when the second configuration only
// adds Services (with any attribute groups) or peers to the first, the script holds exactly the
// added lines, each under its own blocks, definitions before the `router bgp` lines that use
// them; any change that also removes something is left to frr-reload.py (None). The agent's own
// Python runs the cases (one python3 for all of them); tests/net/frr-mode.test.ts applies such
// a script to real FRR.
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/model/index.js";
import type { DesiredRoute } from "../../src/runtime/speaker/desired-routes.js";
import { renderFrrConfig } from "../../src/runtime/speaker/frr/render.js";

const AGENT = fileURLToPath(new URL("../../src/runtime/frr-agent/agent.py", import.meta.url));
const NS = "metallb-system";

type Item = [path: string[], line: string];
interface Answer {
  script: string | null;
  old: Item[];
  new: Item[];
  scriptItems: Item[];
}

/** additions_script and items for each [old, new] pair, computed by the agent's module. */
function agent(cases: [string, string][]): Answer[] {
  const program = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("agent", ${JSON.stringify(AGENT)})
a = importlib.util.module_from_spec(spec); spec.loader.exec_module(a)
out = []
for old, new in json.load(sys.stdin):
    script = a.additions_script(old, new)
    out.append({"script": script, "old": a.items(old), "new": a.items(new),
                "scriptItems": a.items(script or "")})
json.dump(out, sys.stdout)
`;
  const r = spawnSync("python3", ["-c", program], {
    input: JSON.stringify(cases),
    encoding: "utf8",
    maxBuffer: 256 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Answer[];
}

interface Scenario {
  peers: number;
  routes: { n: number; group: number; peer: number }[];
}

const GROUPS = [[], ["64512:100"], ["64512:200", "no-export"]];

function render(s: Scenario): string {
  const config = parseConfig(
    {
      bgpPeers: Array.from({ length: s.peers }, (_, i) => ({
        name: `p${i}`,
        spec: { myASN: 64513, peerASN: 64512 + i, peerAddress: `192.0.2.${i + 1}` },
      })),
    },
    { namespace: NS },
  );
  const routes = new Map<string, DesiredRoute[]>();
  for (const r of s.routes) {
    if (r.peer >= s.peers) continue;
    const list = routes.get(`p${r.peer}`) ?? [];
    list.push({
      prefix: r.n % 2 ? `203.0.113.${r.n % 250}/32` : `2001:db8:ff::${r.n.toString(16)}/128`,
      family: r.n % 2 ? 4 : 6,
      communities: GROUPS[r.group] ?? [],
      largeCommunities: [],
      services: [],
    });
    routes.set(`p${r.peer}`, list);
  }
  return renderFrrConfig({
    node: { name: "n1", ipv4: "192.0.2.11" },
    peers: config.peers,
    routes,
    bfdProfiles: config.bfdProfiles,
    ctx: { namespace: NS, secrets: new Map() },
  }).text;
}

const key = ([path, line]: Item): string => JSON.stringify([path, line]);

const scenario = fc.record({
  peers: fc.integer({ min: 1, max: 3 }),
  routes: fc.uniqueArray(
    fc.record({
      n: fc.integer({ min: 1, max: 499 }),
      group: fc.integer({ min: 0, max: 2 }),
      peer: fc.integer({ min: 0, max: 2 }),
    }),
    { selector: (r) => r.n, maxLength: 12 },
  ),
});

describe("FRR agent: changes that only add lines", () => {
  it("for a superset, the script holds exactly the added lines under their blocks, definitions first", () => {
    const samples = fc.sample(
      fc.tuple(scenario, scenario).map(([a, more]) => {
        const grown: Scenario = {
          peers: Math.max(a.peers, more.peers),
          routes: [...a.routes, ...more.routes.filter((r) => !a.routes.some((x) => x.n === r.n))],
        };
        return [render(a), render(grown)] as [string, string];
      }),
      { numRuns: 150, seed: 42 },
    );
    const answers = agent(samples);
    let scripts = 0;
    answers.forEach((ans, i) => {
      const [oldText, newText] = samples[i]!;
      const oldKeys = new Set(ans.old.map(key));
      const added = ans.new.map(key).filter((k) => !oldKeys.has(k));
      if (oldText === newText || added.length === 0) {
        expect(ans.script).toBeNull();
        return;
      }
      scripts++;
      expect(ans.script, newText).not.toBeNull();
      // Old lines plus the script's lines are exactly the new configuration's lines.
      const union = new Set([...ans.old.map(key), ...ans.scriptItems.map(key)]);
      expect([...union].sort()).toEqual([...new Set(ans.new.map(key))].sort());
      // Nothing is sent twice except the block openers that give the added lines their place.
      for (const item of ans.scriptItems)
        expect(oldKeys.has(key(item)) ? item[1] : "added").toMatch(
          /^(added|router |address-family |route-map |bfd|profile )/,
        );
      // Definitions come before the router lines that use them.
      const lines = (ans.script ?? "").split("\n");
      const firstRouter = lines.findIndex((l) => l.startsWith("router "));
      const lastDefinition = Math.max(
        ...lines.map((l, j) => (/^(ip|ipv6) prefix-list |^route-map /.test(l) ? j : -1)),
      );
      if (firstRouter >= 0) expect(lastDefinition, ans.script ?? "").toBeLessThan(firstRouter);
    });
    expect(scripts).toBeGreaterThan(50);
  });

  it("any change that removes or alters a line is left to frr-reload.py", () => {
    const samples = fc.sample(
      fc.tuple(scenario, scenario).map(([a, b]) => [render(a), render(b)] as [string, string]),
      { numRuns: 150, seed: 7 },
    );
    const answers = agent(samples);
    answers.forEach((ans) => {
      const newKeys = new Set(ans.new.map(key));
      const removes = ans.old.some((i) => !newKeys.has(key(i)));
      if (removes) expect(ans.script).toBeNull();
    });
    expect(
      answers.filter((a, i) => a.script === null && samples[i]![0] !== samples[i]![1]).length,
    ).toBeGreaterThan(20);
  });
});
