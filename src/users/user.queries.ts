import type { Updateable } from "kysely";
import type { Database } from "../db/database-url";
import type { Executor } from "../db/database";
import type { UserModel } from "../db/models";
import { TOTAL, pageBound, toPage, type Page } from "../db/page";
import { containsEveryTerm } from "../db/search";
import type { DB } from "../generated/kysely/database";
import { USER_ORDER, type UserOrder } from "./user.type";

// The User table's statements. Every column is checked by the compiler
// against the row types generated from the Prisma schema.

/** Every column but the password hash and its version. */
export const PUBLIC_USER_COLUMNS = [
  "id",
  "username",
  "email",
  "isStaff",
  "isActive",
  "dateJoined",
  "lastLogin",
] as const satisfies readonly (keyof UserModel)[];

export type PublicUserRow = Pick<UserModel, (typeof PUBLIC_USER_COLUMNS)[number]>;

export interface UserFilter {
  terms: string[];
  isStaff?: boolean | null;
  isActive?: boolean | null;
  order: UserOrder;
  limit: number;
  offset: number;
}

export async function listUsers(
  db: Executor,
  provider: Database["provider"],
  f: UserFilter,
): Promise<Page<PublicUserRow>> {
  const matching = () =>
    db
      .selectFrom("User")
      .$if(f.terms.length > 0, (q) => q.where((eb) => containsEveryTerm(eb, provider, ["username", "email"], f.terms)))
      .$if(f.isStaff != null, (q) => q.where("isStaff", "=", f.isStaff!))
      .$if(f.isActive != null, (q) => q.where("isActive", "=", f.isActive!));
  const counted = () => matching().select((eb) => eb.fn.countAll<number>().as("n"));
  const { column, direction } = USER_ORDER[f.order];
  const rows = await matching()
    .select(PUBLIC_USER_COLUMNS)
    .select(counted().as(TOTAL))
    .orderBy(column, direction)
    .$if(column !== "id", (q) => q.orderBy("id", direction))
    .limit(pageBound(f.limit))
    .offset(pageBound(f.offset))
    .execute();
  return toPage(rows, f.offset, async () => Number((await counted().executeTakeFirstOrThrow()).n));
}

export async function countUsers(db: Executor): Promise<number> {
  const row = await db
    .selectFrom("User")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findUser(
  db: Executor,
  where: { id: number } | { username: string },
): Promise<PublicUserRow | null> {
  const row = await db
    .selectFrom("User")
    .select(PUBLIC_USER_COLUMNS)
    .$if("id" in where, (q) => q.where("id", "=", (where as { id: number }).id))
    .$if("username" in where, (q) => q.where("username", "=", (where as { username: string }).username))
    .executeTakeFirst();
  return row ?? null;
}

/** A user with what a login checks: the password hash and its version. */
export type LoginUserRow = PublicUserRow & Pick<UserModel, "password" | "credentialVersion">;

/** The user a login names (usernames are stored normalised), with the password hash. */
export async function findLoginUser(db: Executor, username: string): Promise<LoginUserRow | null> {
  const row = await db
    .selectFrom("User")
    .select([...PUBLIC_USER_COLUMNS, "password", "credentialVersion"])
    .where("username", "=", username)
    .executeTakeFirst();
  return row ?? null;
}

/** Stored password hashes in id order, `limit` after `afterId` (the failed-login floor reads them all). */
export async function storedPasswords(db: Executor, afterId: number, limit: number) {
  return db
    .selectFrom("User")
    .select(["id", "password"])
    .where("id", ">", afterId)
    .orderBy("id")
    .limit(pageBound(limit))
    .execute();
}

export async function findPassword(
  db: Executor,
  id: number,
): Promise<Pick<UserModel, "password" | "credentialVersion"> | null> {
  const row = await db
    .selectFrom("User")
    .select(["password", "credentialVersion"])
    .where("id", "=", id)
    .executeTakeFirst();
  return row ?? null;
}

export type NewUserRow = Pick<UserModel, "username" | "email" | "password" | "isStaff">;

export async function insertUser(db: Executor, row: NewUserRow, now: Date): Promise<PublicUserRow> {
  return db
    .insertInto("User")
    .values({ ...row, dateJoined: now })
    .returning(PUBLIC_USER_COLUMNS)
    .executeTakeFirstOrThrow();
}

/** The columns a profile update may change. */
export type UserChanges = Pick<Updateable<DB["User"]>, "username" | "email" | "isStaff" | "isActive">;

/** Updates a user; null when there is no such user. */
export async function updateUser(db: Executor, id: number, changes: UserChanges): Promise<PublicUserRow | null> {
  if (Object.keys(changes).length === 0) return findUser(db, { id });
  const row = await db
    .updateTable("User")
    .set(changes)
    .where("id", "=", id)
    .returning(PUBLIC_USER_COLUMNS)
    .executeTakeFirst();
  return row ?? null;
}

/** Sets a password hash and bumps the credential version; its new value, or null when there is no such user. */
export async function setPasswordHash(db: Executor, id: number, hashed: string): Promise<number | null> {
  const row = await db
    .updateTable("User")
    .set((eb) => ({ password: hashed, credentialVersion: eb("credentialVersion", "+", 1) }))
    .where("id", "=", id)
    .returning("credentialVersion")
    .executeTakeFirst();
  return row?.credentialVersion ?? null;
}

/**
 * Replaces a password hash with a new hash of the same password (an imported
 * Django hash upgraded), only if it is still `stored`: a password changed
 * meanwhile wins. The credential version stays, since the password does.
 */
export async function rehashPassword(db: Executor, id: number, stored: string, hashed: string): Promise<void> {
  await db.updateTable("User").set({ password: hashed }).where("id", "=", id).where("password", "=", stored).execute();
}

export async function setLastLogin(db: Executor, id: number, at: Date): Promise<void> {
  await db.updateTable("User").set({ lastLogin: at }).where("id", "=", id).execute();
}

/** Deletes a user (their keys go with them: ON DELETE CASCADE); their username, or null when there was none. */
export async function deleteUser(db: Executor, id: number): Promise<string | null> {
  const row = await db.deleteFrom("User").where("id", "=", id).returning("username").executeTakeFirst();
  return row?.username ?? null;
}

/** Which of these usernames are taken (as stored, no normalisation). */
export async function existingUsernames(db: Executor, usernames: string[]): Promise<string[]> {
  if (usernames.length === 0) return [];
  const rows = await db.selectFrom("User").select("username").where("username", "in", usernames).execute();
  return rows.map((r) => r.username);
}

export type ImportedUserRow = Omit<UserModel, "id" | "credentialVersion">;

/** Inserts users as imported (their Django hashes as they are); their ids by username. */
export async function insertUsers(
  db: Executor,
  rows: ImportedUserRow[],
): Promise<Pick<UserModel, "id" | "username">[]> {
  if (rows.length === 0) return [];
  return db.insertInto("User").values(rows).returning(["id", "username"]).execute();
}
