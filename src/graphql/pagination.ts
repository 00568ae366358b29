import { ArgsType, Field, Int, ObjectType, registerEnumType, type ClassType } from "type-graphql";
import { z } from "zod";
import { MESSAGES } from "../shared/errors";

// One page of any list, and the arguments every list takes (type-graphql's
// generic PaginatedResponse pattern).

export function PaginatedResponse<T extends object>(itemClass: ClassType<T>) {
  // Abstract and never returned itself, so it is not emitted: only its subclasses are.
  @ObjectType({ simpleResolvers: true })
  abstract class PaginatedResponseClass {
    // Absent only when the client did not select it (see graphql/selection.ts).
    @Field(() => Int, { description: "How many match, ignoring limit and offset." })
    count?: number;

    @Field(() => [itemClass])
    results!: T[];
  }
  return PaginatedResponseClass;
}

@ArgsType()
export class PaginationArgs {
  // nullable + defaultValue gives the contract's `Int = 20` rather than `Int! = 20`.
  @Field(() => Int, { nullable: true, defaultValue: 20 })
  limit?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  offset?: number | null;

  @Field(() => String, { nullable: true })
  search?: string | null;
}

const between = "Ensure this value is between 1 and 100.";

/** The rules of PaginationArgs, with DRF's messages. */
export const paginationRules = {
  limit: z
    .number()
    .int()
    .min(1, between)
    .max(100, between)
    .nullish()
    .transform((n) => n ?? 20),
  offset: z
    .number()
    .int()
    .min(0, "Ensure this value is greater than or equal to 0.")
    .nullish()
    .transform((n) => n ?? 0),
  search: z
    .string()
    .max(200, MESSAGES.maxLength(200))
    .trim()
    .nullish()
    .transform((s) => (s ? s : undefined)),
};

type Direction = "ASC" | "DESC";

/** One GraphQL sort value as the query modules apply it: the column, then `id` to break ties. */
export interface SortKey<C extends string> {
  column: C;
  direction: "asc" | "desc";
}

/**
 * A list's sort order, written once: the GraphQL enum (`NAME_ASC`,
 * `NAME_DESC`, …, one pair per column) and the column and direction each
 * value means. `id` breaks ties, so pages never overlap or skip. The columns
 * are typed by the caller (a model's keys), so a renamed column fails to compile.
 */
export function sortOrder<const K extends string, C extends string>(name: string, columns: Record<K, C>) {
  type Value = `${K}_${Direction}`;
  const values = {} as { [V in Value]: V };
  const keys = {} as Record<Value, SortKey<C>>;
  for (const [key, column] of Object.entries(columns) as [K, C][]) {
    for (const direction of ["ASC", "DESC"] as const) {
      const value: Value = `${key}_${direction}`;
      (values as Record<string, string>)[value] = value;
      keys[value] = { column, direction: direction === "ASC" ? "asc" : "desc" };
    }
  }
  registerEnumType(values, { name });
  return { values, keys };
}
