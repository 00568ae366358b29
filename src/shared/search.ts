import type { DatabaseHandle } from "../db/prisma";

/**
 * A `where` that matches rows whose fields contain `search`, ignoring case:
 * SQLite's LIKE already ignores ASCII case, PostgreSQL needs ILIKE.
 */
export function containsAny<F extends string>(provider: DatabaseHandle["provider"], fields: F[], search: string | undefined) {
  if (!search) return {};
  const match = provider === "postgresql" ? { contains: search, mode: "insensitive" as const } : { contains: search };
  return { OR: fields.map((field) => ({ [field]: match }) as { [K in F]: typeof match }) };
}
