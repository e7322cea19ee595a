// Why a received frame was not used. Every dropped frame gets one reason and is counted.
export type DropReason = "truncated" | "oversized" | "malformed" | "unsupported";

export interface Dropped {
  ok: false;
  reason: DropReason;
  /** What was wrong, for debug logs. */
  detail: string;
}

export const drop = (reason: DropReason, detail: string): Dropped => ({
  ok: false,
  reason,
  detail,
});
