import type { DatabaseHandle } from "../db/prisma";
import { Prisma } from "../generated/sqlite/client";

// List queries in SQL through Prisma's $queryRaw: on the hot path Prisma's
// query compiler costs about three times the statement itself (see
// BENCHMARKS.md), and a page needs two statements (total and rows).

export interface PageQuery {
  /** Table and column names are code constants, never client input. */
  table: string;
  columns: readonly string[];
  where: Prisma.Sql;
  /** An ORDER BY list chosen from a fixed map, never client input. */
  orderBy: string;
  limit: number;
  offset: number;
}

const quote = (name: string) => `"${name}"`;

export function selectColumns(table: string, columns: readonly string[]): Prisma.Sql {
  return Prisma.raw(`SELECT ${columns.map(quote).join(", ")} FROM ${quote(table)}`);
}

export async function pagedRows<Row>(db: DatabaseHandle, q: PageQuery): Promise<{ count: number; results: Row[] }> {
  const [counted, results] = await Promise.all([
    db.prisma.$queryRaw<{ count: number | bigint }[]>`SELECT COUNT(*) AS "count" FROM ${Prisma.raw(quote(q.table))} WHERE ${q.where}`,
    db.prisma.$queryRaw<Row[]>`${selectColumns(q.table, q.columns)} WHERE ${q.where} ORDER BY ${Prisma.raw(q.orderBy)} LIMIT ${q.limit} OFFSET ${q.offset}`,
  ]);
  return { count: Number(counted[0]?.count ?? 0), results };
}
