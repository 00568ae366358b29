import { z } from "zod";
import { paginationRules } from "../graphql/pagination";
import { BadInputError, MESSAGES } from "../shared/errors";
import { passwordProblems } from "./password-rules";
import { normalizeUsername, usernameField } from "./username";

export { normalizeUsername, usernameField };

// Django's rules for usernames, emails and passwords, with Django's and
// DRF's messages.

export const emailField = z
  .string()
  .trim()
  .max(254, MESSAGES.maxLength(254))
  .refine((s) => s === "" || z.email().safeParse(s).success, "Enter a valid email address.")
  // Django lower-cases the domain part only.
  .transform((s) => (s.includes("@") ? s.replace(/@[^@]*$/, (d) => d.toLowerCase()) : s));

export const passwordField = z.string().min(1, MESSAGES.blank).max(4096, MESSAGES.maxLength(4096));

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
