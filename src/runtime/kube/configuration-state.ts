// What a component reports in its ConfigurationState (pure): Valid when it could apply the whole
// configuration, else Invalid with one line per problem, plus a `Valid` condition. The controller
// writes "controller", each speaker "speaker-<node>".
import type { ConfigurationStateStatus } from "../../api/kinds/status-kinds.js";
import { REASON } from "../../api/reasons.js";
import { problemLine, type Problem } from "../../model/index.js";
import { stampConditions, type ConditionDraft } from "./conditions.js";

/** Problem lines sorted and deduplicated, so the same configuration always reads the same. */
export function problemLines(problems: readonly Problem[]): string[] {
  return [...new Set(problems.map(problemLine))].sort();
}

export function configurationState(
  problems: readonly Problem[],
  previous: ConfigurationStateStatus | undefined,
  now: Date,
  applied = "every object this node uses was applied",
  /** Conditions about the component itself besides `Valid` (e.g. its heartbeat peers). */
  more: readonly ConditionDraft[] = [],
): ConfigurationStateStatus {
  const lines = problemLines(problems);
  const valid = lines.length === 0;
  return {
    result: valid ? "Valid" : "Invalid",
    errorSummary: lines.join("\n"),
    conditions: stampConditions(
      [
        {
          type: "Valid",
          status: valid ? "True" : "False",
          reason: valid ? REASON.configurationApplied : REASON.invalidConfiguration,
          message: valid ? applied : `${lines.length} problem(s): ${lines.join("; ")}`,
        },
        ...more,
      ],
      previous?.conditions,
      now.toISOString(),
    ),
  };
}
