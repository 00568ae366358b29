import type { Selectable } from "kysely";
import type { Executor } from "../db/database";
import { TOTAL, pageBound, toPage, type Page } from "../db/page";
import type { DB } from "../generated/kysely/database";

// Every statement on the AuthEvent table. Every column is checked by the
// compiler against the row types generated from the Prisma schema.

export type AuthEventModel = Selectable<DB["AuthEvent"]>;
export type AuthEventRow = Omit<AuthEventModel, "id">;

/** Rows per INSERT: under SQLite's and PostgreSQL's limits on bound parameters (10 per row). */
const ROWS_PER_INSERT = 500;

/** One INSERT for a batch: the writer's batch costs one round trip. */
export async function insertEvents(db: Executor, rows: readonly AuthEventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await db
      .insertInto("AuthEvent")
      .values(rows.slice(i, i + ROWS_PER_INSERT))
      .execute();
  }
}

/** Deletes the events older than `before`; returns how many. */
export async function deleteEventsBefore(db: Executor, before: Date): Promise<number> {
  const result = await db.deleteFrom("AuthEvent").where("createdAt", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface EventFilter {
  kinds?: readonly string[];
  /** Events by or about this user. */
  userId?: number;
  /** Events by or about a user of this name when it was recorded (one deleted since, say). */
  userName?: string;
  since?: Date;
  until?: Date;
  limit: number;
  offset: number;
}

/** The usernames of these users, by id (the writer names the users an event gave only by id). */
export async function usernamesOf(db: Executor, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom("User")
    .select(["id", "username"])
    .where("id", "in", [...ids])
    .execute();
  return new Map(rows.map((r) => [r.id, r.username]));
}

export type AuthEventView = AuthEventModel;

/** A page of events, newest first, and how many match. */
export async function pageOfEvents(db: Executor, f: EventFilter): Promise<Page<AuthEventView>> {
  const matching = () =>
    db
      .selectFrom("AuthEvent")
      .$if(f.kinds !== undefined && f.kinds.length > 0, (q) => q.where("kind", "in", [...f.kinds!]))
      .$if(f.userId !== undefined, (q) =>
        q.where((eb) => eb.or([eb("actorId", "=", f.userId!), eb("subjectId", "=", f.userId!)])),
      )
      .$if(f.userName !== undefined, (q) =>
        q.where((eb) => eb.or([eb("actorName", "=", f.userName!), eb("subjectName", "=", f.userName!)])),
      )
      .$if(f.since !== undefined, (q) => q.where("createdAt", ">=", f.since!))
      .$if(f.until !== undefined, (q) => q.where("createdAt", "<", f.until!));
  const counted = () => matching().select((eb) => eb.fn.countAll<number>().as("n"));
  const rows = await matching()
    .selectAll()
    .select(counted().as(TOTAL))
    .orderBy("createdAt", "desc")
    .orderBy("id", "desc")
    .limit(pageBound(f.limit))
    .offset(pageBound(f.offset))
    .execute();
  return toPage(rows, f.offset, async () => Number((await counted().executeTakeFirstOrThrow()).n));
}
