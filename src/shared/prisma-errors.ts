// Prisma's errors that a client can cause, read from their structured
// `code` and `meta` (never from message text). Matching on `code` keeps this
// independent of which generated client (SQLite or PostgreSQL) threw.

interface ConstraintMeta {
  /** SQLite's adapter names the columns. */
  fields?: string[];
  /** PostgreSQL's adapter names the index or constraint. */
  index?: string;
  foreignKey?: unknown;
}

interface KnownRequestError {
  code: string;
  meta?: {
    modelName?: string;
    target?: unknown;
    driverAdapterError?: { cause?: { kind?: string; constraint?: ConstraintMeta } };
  };
}

/**
 * Statements sent straight to the driver adapter (db.sql, src/db/direct-sql.ts)
 * fail with the adapter's own DriverAdapterError: the same `cause` that
 * Prisma wraps, under the code Prisma would give it.
 */
const CODE_OF_ADAPTER_KIND: Record<string, string> = {
  UniqueConstraintViolation: "P2002",
  ForeignKeyConstraintViolation: "P2003",
  NullConstraintViolation: "P2011",
};

function known(error: unknown): KnownRequestError | null {
  if (typeof error !== "object" || error === null) return null;
  if (typeof (error as { code?: unknown }).code === "string") return error as KnownRequestError;
  const { name, cause } = error as { name?: unknown; cause?: { kind?: unknown; constraint?: ConstraintMeta } };
  if (name === "DriverAdapterError" && typeof cause?.kind === "string" && cause.kind in CODE_OF_ADAPTER_KIND) {
    return {
      code: CODE_OF_ADAPTER_KIND[cause.kind]!,
      meta: { driverAdapterError: { cause: { kind: cause.kind, constraint: cause.constraint } } },
    };
  }
  return null;
}

/**
 * True when the unique constraint on `model`.`field` was violated (P2002).
 * SQLite reports the columns; PostgreSQL the index, which Prisma names
 * `<Model>_<field>_key` in its migrations: compared whole, never split.
 */
export function isUniqueViolation(error: unknown, model: string, field: string): boolean {
  const e = known(error);
  if (e?.code !== "P2002") return false;
  const constraint = e.meta?.driverAdapterError?.cause?.constraint;
  if (constraint?.fields) return constraint.fields.some((f) => f.replace(/"/g, "") === field);
  if (constraint?.index !== undefined) return constraint.index === `${model}_${field}_key`;
  const target = e.meta?.target;
  return Array.isArray(target) && target.includes(field);
}

/** True when the row to update or delete was not there (P2025). */
export function isRecordMissing(error: unknown): boolean {
  return known(error)?.code === "P2025";
}

/** True when a write named a parent row that is gone (P2003): a delete won a race. */
export function isForeignKeyViolation(error: unknown): boolean {
  return known(error)?.code === "P2003";
}
