// Why a received frame was not used. Every dropped frame gets one reason and is counted.
export type DropReason =
  | "truncated"
  | "oversized"
  | "malformed"
  | "unsupported"
  /** About addresses this interface neither owns nor probes (checked before parsing). */
  | "notOurs"
  /** Beyond the frames per second an interface handles (a flood). */
  | "rateLimited";

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
