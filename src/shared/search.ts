import type { DatabaseHandle } from "../db/prisma";
import { Prisma } from "../generated/sqlite/client";

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

/**
 * The SQL condition for a search over `fields`: every term must be contained
 * in one of the fields, ignoring case (SQLite's LIKE ignores ASCII case,
 * PostgreSQL needs ILIKE). Terms are bound parameters with `%`, `_` and `\`
 * escaped, so they match literally; Prisma's `contains` does not escape them
 * (prisma/orm#19506), which is one reason lists are queried in SQL.
 */
export function searchCondition(provider: DatabaseHandle["provider"], fields: readonly string[], search: string | undefined | null): Prisma.Sql {
  const terms = searchTerms(search);
  if (terms.length === 0) return Prisma.sql`1 = 1`;
  const like = Prisma.raw(provider === "postgresql" ? "ILIKE" : "LIKE");
  return Prisma.join(
    terms.map((term) => {
      const pattern = `%${term.replace(/[%_\\]/g, "\\$&")}%`;
      return Prisma.sql`(${Prisma.join(
        fields.map((f) => Prisma.sql`${Prisma.raw(`"${f}"`)} ${like} ${pattern} ESCAPE '\\'`),
        " OR ",
      )})`;
    }),
    " AND ",
  );
}
