import { sql, type Selectable, type Updateable } from "kysely";
import type { DatabaseHandle } from "../../src/db/database";
import type { DB } from "../../src/generated/kysely/database";

// What the tests read and change behind the API's back, typed from the same
// generated row types as the app's statements: a table, and columns compared
// for equality (`{ userId: 3 }`), an update's values.

type Table = "User" | "Token" | "Student";
type Where<T extends Table> = Partial<Selectable<DB[T]>>;

// Kysely types each statement by its literal table; these helpers take any
// of three, so the builder is used untyped inside and typed at the edges.
type Untyped = {
  selectFrom(t: string): any;
  updateTable(t: string): any;
  deleteFrom(t: string): any;
};
const untyped = (db: DatabaseHandle) => db.kysely as unknown as Untyped;

function filtered<Q extends { where(c: string, op: string, v: unknown): Q }>(q: Q, where: object): Q {
  for (const [column, value] of Object.entries(where)) q = q.where(column, "=", value);
  return q;
}

export async function countRows<T extends Table>(db: DatabaseHandle, table: T, where: Where<T> = {}): Promise<number> {
  const q = filtered(untyped(db).selectFrom(table), where);
  const row = (await q.select(sql<number>`COUNT(*)`.as("n")).executeTakeFirstOrThrow()) as { n: number | string };
  return Number(row.n);
}

export async function findRows<T extends Table>(
  db: DatabaseHandle,
  table: T,
  where: Where<T> = {},
  order: { by: keyof Selectable<DB[T]> & string; direction?: "asc" | "desc"; limit?: number } = { by: "id" as never },
): Promise<Selectable<DB[T]>[]> {
  let q = filtered(untyped(db).selectFrom(table), where)
    .selectAll()
    .orderBy(order.by, order.direction ?? "asc");
  if (order.limit !== undefined) q = q.limit(order.limit);
  return (await q.execute()) as Selectable<DB[T]>[];
}

/** The first row (by id) that matches; fails the test when none does. */
export async function findRow<T extends Table>(
  db: DatabaseHandle,
  table: T,
  where: Where<T>,
): Promise<Selectable<DB[T]>> {
  const [row] = await findRows(db, table, where, { by: "id" as never, limit: 1 });
  if (!row) throw new Error(`no ${table} row matches ${JSON.stringify(where)}`);
  return row;
}

export async function updateRows<T extends Table>(
  db: DatabaseHandle,
  table: T,
  where: Where<T>,
  values: Updateable<DB[T]>,
): Promise<number> {
  const result = await filtered(untyped(db).updateTable(table), where).set(values).executeTakeFirst();
  return Number((result as { numUpdatedRows: bigint }).numUpdatedRows);
}

export async function deleteRows<T extends Table>(db: DatabaseHandle, table: T, where: Where<T>): Promise<number> {
  const result = await filtered(untyped(db).deleteFrom(table), where).executeTakeFirst();
  return Number((result as { numDeletedRows: bigint }).numDeletedRows);
}

/** The keys of the user with this username. */
export async function countKeysOf(db: DatabaseHandle, username: string): Promise<number> {
  const row = await db.kysely
    .selectFrom("Token")
    .innerJoin("User", "User.id", "Token.userId")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("User.username", "=", username)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A statement as text, for tests that break the schema on purpose. */
export async function execute(db: DatabaseHandle, text: string): Promise<void> {
  await sql.raw(text).execute(db.kysely);
}
