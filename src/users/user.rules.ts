import { z } from "zod";
import { paginationRules } from "../graphql/pagination";
import { BadInputError, MESSAGES } from "../shared/errors";
import { bounded } from "../shared/validation";
import { passwordProblems } from "./password-rules";
import { normalizeUsername, usernameField } from "./username";

export { normalizeUsername, usernameField };

// Django's rules for usernames, emails and passwords, with Django's and
// DRF's messages.

export const EMAIL_MAX = 254;
export const PASSWORD_MAX = 4096;

export const emailField = bounded(EMAIL_MAX)
  .trim()
  .max(EMAIL_MAX, MESSAGES.maxLength(EMAIL_MAX))
  .refine((s) => s === "" || z.email().safeParse(s).success, "Enter a valid email address.")
  // Django lower-cases the domain part only.
  .transform((s) => (s.includes("@") ? s.replace(/@[^@]*$/, (d) => d.toLowerCase()) : s));

// Never stripped nor normalised: the limit is on the text hashed, in UTF-16
// units, and checked first, so an oversized password costs nothing more.
export const passwordField = z
  .string()
  .max(PASSWORD_MAX, { message: MESSAGES.maxLength(PASSWORD_MAX), abort: true })
  .min(1, MESSAGES.blank);

const newUser = z.object({ username: usernameField, email: emailField, password: passwordField, isStaff: z.boolean() });
const profile = z.object({ username: usernameField, email: emailField });
const patch = z.object({
  username: usernameField.optional(),
  email: emailField.optional(),
  password: passwordField.optional(),
  isStaff: z.boolean().optional(),
  isActive: z.boolean().optional(),
});
const list = z.object({ ...paginationRules, isStaff: z.boolean().nullish(), isActive: z.boolean().nullish() });

/** The input rules, for the services and for tests that feed them arbitrary values. */
export const userSchemas = { newUser, profile, patch, list };

/** Throws BAD_USER_INPUT on `field` when the password breaks one of Django's four rules. */
export function checkPassword(password: string, user: { username?: string; email?: string }, field = "password") {
  const problems = passwordProblems(password, user);
  if (problems.length > 0) throw new BadInputError({ [field]: problems });
}
