import { sql, type Expression, type ExpressionBuilder, type SqlBool, type StringReference } from "kysely";
import type { Database } from "./database-url";

// DRF's SearchFilter over some columns: every term must be contained,
// ignoring case, in one of them (SQLite's LIKE ignores ASCII case; PostgreSQL
// needs ILIKE). Terms are bound parameters with `%`, `_` and `\` escaped, so
// they match literally.

const escapeLike = (term: string) => `%${term.replace(/[%_\\]/g, "\\$&")}%`;

/** `columns` each contain `term` (OR), for one term. */
export function containsTerm<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  provider: Database["provider"],
  columns: readonly StringReference<DB, TB>[],
  term: string,
): Expression<SqlBool> {
  const like = sql.raw(provider === "postgresql" ? "ILIKE" : "LIKE");
  const pattern = escapeLike(term);
  return eb.or(columns.map((c) => sql<SqlBool>`${eb.ref(c)} ${like} ${pattern} ESCAPE '\\'`));
}

/** Every term contained in one of `columns` (AND of containsTerm); call only with terms. */
export function containsEveryTerm<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  provider: Database["provider"],
  columns: readonly StringReference<DB, TB>[],
  terms: readonly string[],
): Expression<SqlBool> {
  return eb.and(terms.map((term) => containsTerm(eb, provider, columns, term)));
}
