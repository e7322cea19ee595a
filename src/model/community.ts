// Community objects → alias names and values; an advertisement's communities resolved to values.
import type { CommunitySpec } from "../api/kinds/community.js";
import { parseCommunityValue } from "../api/formats/community.js";
import { problem, type Problem } from "./problem.js";

export type Aliases = ReadonlyMap<string, string>;

/** Every alias of every Community object (a later object's definition of a name wins). */
export function aliasesOf(objects: readonly { spec: CommunitySpec }[]): Aliases {
  return new Map(
    objects.flatMap((c) => (c.spec.communities ?? []).map((a) => [a.name, a.value] as const)),
  );
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
