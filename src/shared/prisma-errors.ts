// Prisma's error codes we turn into client errors. Matching on `code` keeps
// this independent of which generated client (SQLite or PostgreSQL) threw.

interface KnownRequestError {
  code: string;
  meta?: Record<string, unknown>;
}

function known(error: unknown): KnownRequestError | null {
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string") {
    return error as KnownRequestError;
  }
  return null;
}

/** True when a unique constraint on `field` was violated (P2002). */
export function isUniqueViolation(error: unknown, field: string): boolean {
  const e = known(error);
  if (e?.code !== "P2002") return false;
  const target = e.meta?.target ?? (e.meta?.driverAdapterError as { cause?: { constraint?: { fields?: string[] } } })?.cause?.constraint?.fields;
  const fields = Array.isArray(target) ? target.map(String) : String(target ?? "").split(/[,_]/);
  return fields.some((f) => f.replace(/"/g, "") === field);
}

/** True when the row to update or delete was not there (P2025). */
export function isRecordMissing(error: unknown): boolean {
  return known(error)?.code === "P2025";
}
