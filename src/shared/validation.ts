import { z } from "zod";
import { BadInputError, MESSAGES, type FieldErrors } from "./errors";

// Input rules are zod schemas written with DRF's messages; a failure becomes
// one BAD_USER_INPUT error whose `fields` lists every problem at once.

export function fieldErrors(error: z.ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.join(".") : "non_field_errors";
    (fields[key] ??= []).push(issue.message);
  }
  return fields;
}

export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new BadInputError(fieldErrors(result.error));
  return result.data;
}

export const tooLong = (max: number): string => MESSAGES.maxLength(max);

/**
 * The longest raw text, in UTF-16 units, that could still be a valid value of
 * at most `max` characters once trimmed and normalised (NFKC composes up to 4
 * code points into one; a character outside the BMP takes 2 units). Longer
 * input is refused on its `.length` alone, before any trimming, normalising,
 * hashing or database call, so an oversized value costs the same whatever
 * its characters (NFKC turns one U+FDFA into 18).
 */
export const rawMax = (max: number) => max * 4;

/** A string first refused, by its length alone, when over rawMax(max); nothing after runs then. */
export const bounded = (max: number) => z.string().max(rawMax(max), { message: tooLong(max), abort: true });

/** DRF's CharField: trimmed, not blank, at most `max` characters. */
export const text = (max: number) =>
  bounded(max)
    .trim()
    .min(1, MESSAGES.blank)
    .refine((s) => [...s].length <= max, MESSAGES.maxLength(max));

/** GraphQL IDs are strings; ours are positive integers. Anything else matches nothing. */
export function parseId(id: string): number | null {
  if (!/^[1-9][0-9]{0,9}$/.test(id)) return null;
  const n = Number(id);
  return n <= 2_147_483_647 ? n : null;
}

export type Nullable<T> = { [K in keyof T]?: T[K] | null };

/**
 * A PATCH input's fields that were given. GraphQL lets a client send an
 * explicit null for an optional field; as in DRF, that is an error, not a
 * way to skip the field.
 */
export function patchFields<T extends object>(input: Nullable<T>): Partial<T> {
  const fields: FieldErrors = {};
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === null) fields[key] = [MESSAGES.notNull];
    else if (value !== undefined) given[key] = value;
  }
  if (Object.keys(fields).length > 0) throw new BadInputError(fields);
  return given as Partial<T>;
}
