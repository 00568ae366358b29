import { z } from "zod";
import { bounded, rawMax } from "../shared/validation";

// Django's username rule (UnicodeUsernameValidator after normalize_username):
// NFKC, then 1 to 150 characters, each a letter or digit as Python's
// str.isalnum() sees it, or one of @ . + - _. Python's `\w` is exactly that
// set plus `_`: the general categories L* (isalpha) and Nd, Nl, No
// (isdecimal/isdigit/isnumeric). Marks (a lone combining accent, U+034F,
// variation selectors U+FE00-FE0F and U+180B-180F), joiners (U+200D) and
// bidi controls are not in it: each lets a name look exactly like another
// user's, so they are refused with Django's message.
//
// One rule beyond Django's: no Default_Ignorable_Code_Point, in the text as
// sent (trimmed) or after NFKC. Most of them are already outside the set
// above; the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0) are letters to
// Python but render as nothing, so Django takes "admin\u3164" (stored as
// "admin\u1160") for a name of its own.

export const USERNAME_MAX = 150;
/** Longer raw input cannot be a valid username: refused before NFKC (see rawMax). */
export const USERNAME_RAW_MAX = rawMax(USERNAME_MAX);
export const USERNAME_MESSAGE =
  "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";

const ALLOWED = /^[\p{L}\p{Nd}\p{Nl}\p{No}@.+\-_]+$/u;
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

// Python's str.strip() (DRF's trim_whitespace), not JavaScript's trim(): it
// also strips U+001C-U+001F and U+0085, and keeps U+FEFF, which JavaScript
// would strip and so let "admin\uFEFF" in as "admin".
const PY_SPACE = "\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

/**
 * A username as it is stored and looked up: DRF's CharField strips it and
 * Django normalises it with NFKC. Logging in applies the same, so whatever
 * was accepted at sign-up logs in.
 */
export const normalizeUsername = (username: string) => username.replace(PY_STRIP, "").normalize("NFKC");

/** Whether an already normalised username passes Django's character rule. */
export const isValidUsernameText = (username: string) => ALLOWED.test(username) && !IGNORABLE.test(username);

// DRF's CharField trims and stops at "blank"; then Django's length and
// character validators each report.
export const usernameField = bounded(USERNAME_MAX)
  .refine((raw) => !IGNORABLE.test(raw), { message: USERNAME_MESSAGE, abort: true })
  .transform(normalizeUsername)
  .pipe(
    z
      .string()
      .min(1, { message: "This field may not be blank.", abort: true })
      .refine((s) => [...s].length <= USERNAME_MAX, `Ensure this field has no more than ${USERNAME_MAX} characters.`)
      .refine(isValidUsernameText, USERNAME_MESSAGE),
  );
