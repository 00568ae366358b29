import type { DatabaseHandle } from "../db/prisma";

// DRF's SearchFilter: the search text is split into terms; a row matches when
// every term is contained, ignoring case, in at least one of the fields.

/** DRF's search_smart_split: whitespace- and comma-separated terms; a quoted phrase stays one term. */
export function searchTerms(search: string | undefined | null): string[] {
  if (!search) return [];
  const terms: string[] = [];
  for (const token of search.match(/"[^"]*"|'[^']*'|[^\s]+/g) ?? []) {
    const term = token.replace(/^,+|,+$/g, "");
    if (term.length >= 2 && (term[0] === '"' || term[0] === "'") && term.at(-1) === term[0]) {
      const phrase = term.slice(1, -1).trim();
      if (phrase) terms.push(phrase);
    } else {
      terms.push(...term.split(",").map((s) => s.trim()).filter(Boolean));
    }
  }
  return terms;
}

const WILDCARD = /[%_\\]/;

type Match = { contains: string; mode?: "insensitive" };
type Where<F extends string> = { AND?: ({ OR: Partial<Record<F, Match>>[] } | { id: { in: number[] } })[] };

/**
 * The Prisma `where` for a search over `fields` of `table`.
 *
 * Prisma's `contains` is a LIKE whose pattern it does not escape, so `%` or
 * `_` in a term would match anything (prisma/orm#19506, #23611). PostgreSQL's
 * LIKE escapes with a backslash by default, so the term is escaped there.
 * SQLite's LIKE has no escape unless the query says ESCAPE, which Prisma
 * cannot: a term holding a wildcard is matched by a query of our own instead.
 */
export async function searchWhere<F extends string>(
  db: DatabaseHandle,
  table: string,
  fields: F[],
  search: string | undefined | null,
): Promise<Where<F>> {
  const terms = searchTerms(search);
  if (terms.length === 0) return {};
  const AND: NonNullable<Where<F>["AND"]> = [];
  for (const term of terms) {
    if (db.provider === "postgresql") {
      const match: Match = { contains: term.replace(/[%_\\]/g, "\\$&"), mode: "insensitive" };
      AND.push({ OR: fields.map((f) => ({ [f]: match }) as Partial<Record<F, Match>>) });
    } else if (!WILDCARD.test(term)) {
      // SQLite's LIKE already ignores ASCII case.
      AND.push({ OR: fields.map((f) => ({ [f]: { contains: term } }) as Partial<Record<F, Match>>) });
    } else {
      const pattern = `%${term.replace(/[%_\\]/g, "\\$&")}%`;
      const sql = `SELECT "id" FROM "${table}" WHERE ${fields.map((f) => `"${f}" LIKE ? ESCAPE '\\'`).join(" OR ")}`;
      const rows = await db.prisma.$queryRawUnsafe<{ id: number | bigint }[]>(sql, ...fields.map(() => pattern));
      AND.push({ id: { in: rows.map((r) => Number(r.id)) } });
    }
  }
  return { AND };
}
