// What may reach an FRR configuration file from user input. FRR reads its file line by line and
// splits each line on blanks, so a value that held a line break could add a command and one that
// held a blank would change the command's meaning. Values are checked, never escaped: FRR has no
// quoting to escape into.

/** Names FRR takes as a word (BFD profiles, VRFs, interfaces): letters, digits and `_.-:`. */
const NAME = /^[A-Za-z0-9_.:-]+$/;
/** A password is one word of printable ASCII: FRR's WORD token (no blanks, no controls). */
const WORD = /^[\x21-\x7e]+$/;

export type Checked = { ok: true; value: string } | { ok: false; reason: string };

/** Shows a refused value without echoing control characters into logs and conditions. */
export const shown = (value: string): string => JSON.stringify(value);

export function frrName(value: string, maxLength: number): Checked {
  if (value.length === 0) return { ok: false, reason: "is empty" };
  if (value.length > maxLength)
    return { ok: false, reason: `is longer than ${maxLength} characters` };
  if (!NAME.test(value))
    return {
      ok: false,
      reason: `${shown(value)} has characters FRR cannot take in a name; use letters, digits, "_", "." and "-"`,
    };
  return { ok: true, value };
}

/**
 * A TCP MD5 key as FRR's `neighbor … password WORD` takes it. Keys are octets (a Secret's
 * bytes); FRR only takes printable ASCII without blanks, which the check says when it refuses.
 */
export function frrPassword(key: string | Uint8Array): Checked {
  const text = typeof key === "string" ? key : Buffer.from(key).toString("latin1");
  if (text.length === 0) return { ok: false, reason: "the key is empty" };
  if (text.length > 80) return { ok: false, reason: "the key is longer than 80 characters" };
  if (!WORD.test(text))
    return {
      ok: false,
      reason:
        "the key holds a blank, a line break or another character outside printable ASCII, " +
        "which FRR cannot take in a password",
    };
  return { ok: true, value: text };
}
