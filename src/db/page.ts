// One page of a list and the total that match, in one statement: the count
// is an uncorrelated scalar subquery (`__total`), which both databases
// evaluate once. (COUNT(*) OVER () says the same, but SQLite then counts by
// materialising every matching row before LIMIT; see BENCHMARKS.md.) Only a
// page past the end (no row to carry the count) costs a second statement.

import type { RawBuilder } from "kysely";
import { unplanned } from "./unplanned";

/** A LIMIT or OFFSET value, which SQLite would otherwise recompile the page statement for (unplanned.ts). */
export function pageBound(value: number): RawBuilder<number> {
  return unplanned(value, "integer");
}

export interface Page<Row> {
  count: number;
  results: Row[];
}

/** The column each row of a page query carries the total in. */
export const TOTAL = "__total";

type WithTotal<Row> = Row & { [TOTAL]: number | string | bigint | null };

export async function toPage<Row>(
  rows: WithTotal<Row>[],
  offset: number,
  countPastTheEnd: () => Promise<number>,
): Promise<Page<Row>> {
  const first = rows[0];
  const count = first ? Number(first[TOTAL]) : offset > 0 ? await countPastTheEnd() : 0;
  const results = rows.map(({ [TOTAL]: _, ...row }) => row as unknown as Row);
  return { count, results };
}
