// BFDProfile → intervals in milliseconds, whichever form (300 or "300ms") was written.
import type { BFDProfileSpec } from "../api/kinds/bfdprofile.js";
import { intervalMs } from "../api/formats/duration.js";

export interface BfdProfile {
  name: string;
  receiveIntervalMs?: number;
  transmitIntervalMs?: number;
  echoIntervalMs?: number;
  detectMultiplier?: number;
  echoMode: boolean;
  passiveMode: boolean;
  minimumTtl?: number;
}

export function parseBfdProfile(name: string, spec: BFDProfileSpec): BfdProfile {
  const ms = (v: unknown) => (v === undefined ? undefined : intervalMs(v));
  const [rx, tx, echo] = [
    ms(spec.receiveInterval),
    ms(spec.transmitInterval),
    ms(spec.echoInterval),
  ];
  return {
    name,
    ...(rx !== undefined ? { receiveIntervalMs: rx } : {}),
    ...(tx !== undefined ? { transmitIntervalMs: tx } : {}),
    ...(echo !== undefined ? { echoIntervalMs: echo } : {}),
    ...(spec.detectMultiplier !== undefined ? { detectMultiplier: spec.detectMultiplier } : {}),
    echoMode: spec.echoMode ?? false,
    passiveMode: spec.passiveMode ?? false,
    ...(spec.minimumTtl !== undefined ? { minimumTtl: spec.minimumTtl } : {}),
  };
}
