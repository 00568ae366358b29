import { z } from "zod";
import { paginationRules } from "../graphql/pagination";
import { BadInputError, MESSAGES } from "../shared/errors";
import { passwordProblems } from "./password-rules";

// Django's rules for usernames, emails and passwords, with Django's and
// DRF's messages.

/**
 * A username as it is stored and looked up: DRF's CharField trims it and
 * Django normalises it with NFKC. Logging in applies the same, so whatever
 * was accepted at sign-up logs in.
 */
export const normalizeUsername = (username: string) => username.trim().normalize("NFKC");

// DRF's CharField trims and stops at "blank"; then Django's length and
// character validators each report.
export const usernameField = z
  .string()
  .transform(normalizeUsername)
  .pipe(
    z
      .string()
      .min(1, { message: MESSAGES.blank, abort: true })
      .refine((s) => [...s].length <= 150, MESSAGES.maxLength(150))
      .refine(
        (s) => /^[\p{L}\p{N}\p{M}_.@+-]+$/u.test(s),
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
      ),
  );

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
