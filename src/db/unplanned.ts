import { sql, type RawBuilder } from "kysely";

// SQLite compiles a statement again, on its next run, after every new
// binding of a value its planner read (sqlite3_prepare_v2's rule for values
// that may change the plan). Its planner reads the value bound to a bare
// `LIMIT ?` or `OFFSET ?` always, and the one compared with an indexed
// column once ANALYZE (or `PRAGMA optimize`) has left STAT4 samples, which
// better-sqlite3's SQLite keeps. better-sqlite3 binds on every run, so such a
// statement would be parsed and planned on every request (BENCHMARKS.md,
// 16:08). The planner does not look through a CAST; the rows are the same.

/** `value`, bound as a parameter the planner does not read. */
export function unplanned<T extends number | string>(
  value: T,
  type: T extends number ? "integer" : "text",
): RawBuilder<T> {
  return sql<T>`cast(${value} as ${sql.raw(type)})`;
}
