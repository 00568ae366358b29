// The drivers' own, documented error codes for what a client can cause:
// better-sqlite3's SqliteError carries SQLite's extended result code,
// pg's DatabaseError PostgreSQL's SQLSTATE and the constraint's name.

import type { DB } from "../generated/kysely/database";

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

const driverError = (error: unknown): DriverError => (typeof error === "object" && error !== null ? error : {});

/**
 * True when the unique constraint on `table`.`column` was violated. SQLite
 * names the columns in its message ("UNIQUE constraint failed: Student.roll");
 * PostgreSQL names the index, which Prisma's migrations call `<Table>_<column>_key`.
 * Both names are checked by the compiler against the generated row types.
 */
export function isUniqueViolation<T extends keyof DB>(error: unknown, table: T, column: keyof DB[T] & string): boolean {
  const e = driverError(error);
  if (e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    const columns = String(e.message)
      .replace(/^UNIQUE constraint failed: /, "")
      .split(", ");
    return columns.includes(`${table}.${column}`);
  }
  return e.code === "23505" && e.constraint === `${table}_${column}_key`;
}

/** A row refers to one that is gone (a user deleted while a key was being issued for it). */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = driverError(error);
  return e.code === "SQLITE_CONSTRAINT_FOREIGNKEY" || e.code === "23503";
}
