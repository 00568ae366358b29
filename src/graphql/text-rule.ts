import { defaultFieldResolver, type GraphQLSchema } from "graphql";
import { BadInputError, MESSAGES, type FieldErrors } from "../shared/errors";

// The contract's text rule, for every String argument and input field of
// every operation at once: a NUL (PostgreSQL refuses it in text columns, so
// it became an INTERNAL_SERVER_ERROR there) and an unpaired UTF-16 surrogate
// (no UTF-8 encoding exists for it: drivers fail or silently turn it into
// U+FFFD, which would hash a different password than the one typed) are
// client mistakes, answered BAD_USER_INPUT before any resolver sees them.

export const TEXT_MESSAGES = { nul: MESSAGES.nullCharacter, surrogate: MESSAGES.loneSurrogate } as const;

// With the `u` flag a well-formed pair is one code point outside this range,
// so only a lone half matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** The contract's message for a string that breaks the text rule, or null. */
export function textProblem(value: string): string | null {
  if (value.includes("\0")) return TEXT_MESSAGES.nul;
  if (LONE_SURROGATE.test(value)) return TEXT_MESSAGES.surrogate;
  return null;
}

/**
 * Every string in a field's coerced arguments that breaks the rule, keyed as
 * the services' own BAD_USER_INPUT errors are: an input object's fields by
 * their own path (`name`, as in `createStudent(input:)`'s errors), a scalar
 * argument by its name (`search`).
 */
export function textErrors(args: Record<string, unknown>): FieldErrors {
  const fields: FieldErrors = {};
  const visit = (value: unknown, path: string[]): void => {
    if (typeof value === "string") {
      const problem = textProblem(value);
      if (problem) (fields[path.join(".")] ??= []).push(problem);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...path, String(i)]));
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
    }
  };
  for (const [name, value] of Object.entries(args)) {
    const isInputObject = value !== null && typeof value === "object" && !Array.isArray(value);
    visit(value, isInputObject ? [] : [name]);
  }
  return fields;
}

/**
 * Wraps the resolver of every root field (the only fields of this schema that
 * take arguments) with the rule, once, when the schema is built: global, and
 * no cost on the fields of the results. Access is decided earlier, per
 * operation (see operation-access.ts), so an anonymous client still gets its 401 first.
 */
export function applyTextRule(schema: GraphQLSchema): GraphQLSchema {
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (field.args.length === 0) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args: Record<string, unknown>, context, info) => {
        const fields = textErrors(args);
        if (Object.keys(fields).length > 0) throw new BadInputError(fields);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
