// Django's four default AUTH_PASSWORD_VALIDATORS, with Django's messages.

const MIN_LENGTH = 8;
const MAX_SIMILARITY = 0.7;

// ~49,000 most common passwords, from zxcvbn-ts's maintained list. Its
// package also holds other word lists (about 6 MB of heap in all), so it is
// loaded at the first password set, not in every process that only serves keys.
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  if (!common) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
    const { dictionary } = require("@zxcvbn-ts/language-common") as typeof import("@zxcvbn-ts/language-common");
    common = new Set(dictionary["passwords-common"].map((p) => p.toLowerCase()));
  }
  return common;
}

/** Python's SequenceMatcher.quick_ratio(), which Django's similarity check uses. */
function quickRatio(a: string, b: string): number {
  if (a.length + b.length === 0) return 1;
  const counts = new Map<string, number>();
  for (const ch of b) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let matches = 0;
  for (const ch of a) {
    const n = counts.get(ch) ?? 0;
    if (n > 0) {
      matches++;
      counts.set(ch, n - 1);
    }
  }
  return (2 * matches) / (a.length + b.length);
}

export interface UserAttributes {
  username?: string;
  email?: string;
}

const ATTRIBUTE_NAMES: Record<keyof UserAttributes, string> = { username: "username", email: "email address" };

/** Returns the messages of every rule the password breaks; empty when it passes. */
export function passwordProblems(password: string, user: UserAttributes = {}): string[] {
  const problems: string[] = [];
  const lower = password.toLowerCase();
  for (const attribute of ["username", "email"] as const) {
    const value = user[attribute];
    if (!value) continue;
    const parts = [...value.toLowerCase().split(/\W+/u), value.toLowerCase()].filter(Boolean);
    // Django skips parts too different in length to reach the threshold.
    const similar = parts.some((part) => lower.length < 10 * part.length && quickRatio(lower, part) >= MAX_SIMILARITY);
    if (similar) {
      problems.push(`The password is too similar to the ${ATTRIBUTE_NAMES[attribute]}.`);
      break;
    }
  }
  if ([...password].length < MIN_LENGTH) {
    problems.push(`This password is too short. It must contain at least ${MIN_LENGTH} characters.`);
  }
  if (commonPasswords().has(lower.trim())) problems.push("This password is too common.");
  if (/^\d+$/.test(password)) problems.push("This password is entirely numeric.");
  return problems;
}
