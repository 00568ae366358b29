// Prisma's error codes we turn into client errors. Matching on `code` keeps
// this independent of which generated client (SQLite or PostgreSQL) threw.

interface KnownRequestError {
  code: string;
  meta?: {
    target?: unknown;
    modelName?: string;
    driverAdapterError?: { cause?: { constraint?: { fields?: string[]; index?: string }; table?: string } };
  };
}

function known(error: unknown): KnownRequestError | null {
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string") {
    return error as KnownRequestError;
  }
  return null;
}

/**
 * The columns a unique violation names. Each driver says it differently:
 * SQLite's adapter gives the fields, PostgreSQL's adapter only the index
 * ("Student_roll_key", Prisma's naming: <table>_<fields>_key), the native
 * engines a `target`.
 */
function violatedFields(e: KnownRequestError): string[] {
  const cause = e.meta?.driverAdapterError?.cause;
  if (cause?.constraint?.fields) return cause.constraint.fields.map((f) => f.replace(/"/g, ""));
  const index = cause?.constraint?.index;
  if (index !== undefined) {
    const table = cause?.table ?? e.meta?.modelName ?? "";
    const middle = index.startsWith(`${table}_`) ? index.slice(table.length + 1) : index;
    return middle.replace(/_key$/, "").split("_");
  }
  const target = e.meta?.target;
  return Array.isArray(target) ? target.map(String) : (typeof target === "string" ? target : "").split(/[,_]/);
}

/** True when a unique constraint on `field` was violated (P2002). */
export function isUniqueViolation(error: unknown, field: string): boolean {
  const e = known(error);
  return e?.code === "P2002" && violatedFields(e).includes(field);
}

/** True when the row to update or delete was not there (P2025). */
export function isRecordMissing(error: unknown): boolean {
  return known(error)?.code === "P2025";
}
