// What a speaker reports in its ConfigurationState (pure): Valid when it could apply the whole
// configuration, else Invalid with one line per problem, plus a "Valid" condition whose
// transition time only moves when the verdict does.
import type { ConfigurationStateStatus } from "../../api/kinds/status-kinds.js";
import { problemLine, type Problem } from "../../model/index.js";

/** Problem lines sorted and deduplicated, so the same configuration always reads the same. */
export function problemLines(problems: readonly Problem[]): string[] {
  return [...new Set(problems.map(problemLine))].sort();
}

export function configurationState(
  problems: readonly Problem[],
  previous: ConfigurationStateStatus | undefined,
  now: Date,
): ConfigurationStateStatus {
  const lines = problemLines(problems);
  const valid = lines.length === 0;
  const status = valid ? "True" : "False";
  const before = previous?.conditions?.find((c) => c.type === "Valid");
  return {
    result: valid ? "Valid" : "Invalid",
    errorSummary: lines.join("\n"),
    conditions: [
      {
        type: "Valid",
        status,
        reason: valid ? "ConfigurationApplied" : "InvalidConfiguration",
        message: valid
          ? "every object this node uses was applied"
          : `${lines.length} problem(s): ${lines.join("; ")}`,
        lastTransitionTime:
          before?.status === status ? before.lastTransitionTime : now.toISOString(),
      },
    ],
  };
}
