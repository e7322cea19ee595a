// Community objects → alias names and values; an advertisement's communities resolved to values.
import type { CommunitySpec } from "../api/kinds/community.js";
import { parseCommunityValue } from "../api/formats/community.js";
import { problem, type Problem } from "./problem.js";

/** Alias name → value; an alias defined more than once maps to undefined (it is unusable). */
export type Aliases = ReadonlyMap<string, string | undefined>;

/**
 * Every alias of every Community object (in name order). An alias defined twice — in one object
 * or in two, with the same value or not — is a problem at each later definition, and no
 * advertisement may use it: upstream MetalLB refuses such a configuration, and picking one of
 * the definitions would announce a community the user may not have meant.
 */
export function aliasesOf(objects: readonly { name: string; spec: CommunitySpec }[]): {
  aliases: Aliases;
  problems: Problem[];
} {
  const aliases = new Map<string, string | undefined>();
  const definedIn = new Map<string, string>();
  const problems: Problem[] = [];
  for (const c of objects)
    (c.spec.communities ?? []).forEach((a, i) => {
      const first = definedIn.get(a.name);
      if (first === undefined) {
        definedIn.set(a.name, c.name);
        aliases.set(a.name, a.value);
        return;
      }
      aliases.set(a.name, undefined);
      problems.push(
        problem(
          "Community",
          c.name,
          ["spec", "communities", i, "name"],
          `community alias "${a.name}" is already defined in Community ${first}`,
          "define each alias once: rename or remove one definition (advertisements cannot use the alias until then)",
        ),
      );
    });
  return { aliases, problems };
}

export interface ResolvedCommunities {
  standard: string[];
  large: string[];
}

/**
 * An advertisement's communities (values or alias names) → values. An unknown alias is a
 * problem and is left out; a malformed value is left out (its CEL rule reports it).
 */
export function resolveCommunities(
  advertisement: string,
  refs: readonly string[],
  aliases: Aliases,
): { communities: ResolvedCommunities; problems: Problem[] } {
  const standard: string[] = [];
  const large: string[] = [];
  const problems: Problem[] = [];
  refs.forEach((ref, i) => {
    if (!ref.includes(":") && aliases.has(ref) && aliases.get(ref) === undefined) {
      problems.push(
        problem(
          "BGPAdvertisement",
          advertisement,
          ["spec", "communities", i],
          `community alias "${ref}" is defined more than once, so it is left out`,
          "define it once in the Community objects",
        ),
      );
      return;
    }
    const text = ref.includes(":") ? ref : aliases.get(ref);
    if (text === undefined) {
      problems.push(
        problem(
          "BGPAdvertisement",
          advertisement,
          ["spec", "communities", i],
          `community alias "${ref}" is defined in no Community object`,
          "define it or use the value",
        ),
      );
      return;
    }
    const value = parseCommunityValue(text);
    if (value?.kind === "large") large.push(value.text);
    else if (value) standard.push(value.text);
  });
  return { communities: { standard, large }, problems };
}
