// metav1.Condition bookkeeping, once for every status the runtime writes: a condition's
// lastTransitionTime moves only when its status does, so an unchanged verdict is not rewritten.

/** A condition before its lastTransitionTime is known. */
export interface ConditionDraft {
  type: string;
  status: "True" | "False";
  reason: string;
  message: string;
}

export interface Condition extends ConditionDraft {
  lastTransitionTime: string;
}

/** The drafts with their transition times: kept from `previous` where the status is unchanged. */
export function stampConditions(
  drafts: readonly ConditionDraft[],
  previous: readonly { type?: string; status?: string; lastTransitionTime?: string }[] | undefined,
  now: string,
): Condition[] {
  return drafts.map((d) => {
    const prev = previous?.find((b) => b.type === d.type);
    return {
      ...d,
      lastTransitionTime:
        prev?.status === d.status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
    };
  });
}
