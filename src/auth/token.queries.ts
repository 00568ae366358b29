import type { Database } from "../db/database-url";
import { arg, runPrepared } from "../db/compiled";
import type { Executor } from "../db/database";
import type { TokenModel } from "../db/models";
import { TOTAL, pageBound, toPage, type Page } from "../db/page";
import { containsTerm } from "../db/search";
import { unplanned } from "../db/unplanned";
import type { AuthUser } from "../graphql/context";
import { PUBLIC_USER_COLUMNS } from "../users/user.queries";

// The Token table's statements. Every column is checked by the compiler
// against the row types generated from the Prisma schema.

const TOKEN_COLUMNS = ["id", "name", "prefix", "createdAt", "lastUsedAt", "expiresAt", "userId", "scopes"] as const;

export type TokenWithUser = { tokenId: TokenModel["id"] } & Pick<TokenModel, "expiresAt" | "lastUsedAt" | "scopes"> &
  AuthUser;

/**
 * The key's row joined with its user, in one statement: this runs on every
 * authenticated request.
 */
export async function findByDigest(db: Executor, digest: string): Promise<TokenWithUser | null> {
  const { rows } = await runPrepared(
    db,
    "findByDigest",
    () =>
      db
        .selectFrom("Token as t")
        .innerJoin("User as u", "u.id", "t.userId")
        .select(["t.id as tokenId", "t.expiresAt", "t.lastUsedAt", "t.scopes"])
        .select(PUBLIC_USER_COLUMNS.map((c) => `u.${c}` as const))
        // Unplanned: after ANALYZE, SQLite would recompile this, the statement of every request, on every run.
        .where("t.digest", "=", unplanned(arg<string>(0), "text")),
    [digest],
  );
  return rows[0] ?? null;
}

export type NewTokenRow = Pick<
  TokenModel,
  "digest" | "prefix" | "name" | "expiresAt" | "scopes" | "userId" | "createdAt"
>;

export async function insertToken(db: Executor, row: NewTokenRow): Promise<void> {
  await db.insertInto("Token").values(row).execute();
}

/**
 * The user a new key is for, locked until the transaction ends on
 * PostgreSQL (SQLite's transaction already holds the write lock): a
 * concurrent password change or delete waits for the key's insert, and then
 * removes it, or wins first, and this finds what it changed.
 */
export async function lockUserForKey(
  tx: Executor,
  provider: Database["provider"],
  userId: number,
): Promise<{ credentialVersion: number } | null> {
  const row = await tx
    .selectFrom("User")
    .select("credentialVersion")
    .where("id", "=", userId)
    .$if(provider === "postgresql", (q) => q.forUpdate())
    .executeTakeFirst();
  return row ?? null;
}

export type TokenInfoRow = Pick<TokenModel, (typeof TOKEN_COLUMNS)[number]>;
export type TokenRowWithUser = TokenInfoRow & { user: AuthUser };

function tokensWithUsers(db: Executor) {
  return db
    .selectFrom("Token as t")
    .innerJoin("User as u", "u.id", "t.userId")
    .select(TOKEN_COLUMNS.map((c) => `t.${c}` as const))
    .select([
      "u.id as u_id",
      "u.username as u_username",
      "u.email as u_email",
      "u.isStaff as u_isStaff",
      "u.isActive as u_isActive",
      "u.dateJoined as u_dateJoined",
      "u.lastLogin as u_lastLogin",
    ]);
}

type Flat = Awaited<ReturnType<ReturnType<typeof tokensWithUsers>["execute"]>>[number];

function nest(row: Flat): TokenRowWithUser {
  const { id, name, prefix, createdAt, lastUsedAt, expiresAt, userId, scopes } = row;
  const user: AuthUser = {
    id: row.u_id,
    username: row.u_username,
    email: row.u_email,
    isStaff: row.u_isStaff,
    isActive: row.u_isActive,
    dateJoined: row.u_dateJoined,
    lastLogin: row.u_lastLogin,
  };
  return { id, name, prefix, createdAt, lastUsedAt, expiresAt, userId, scopes, user };
}

/** One user's keys with the user, oldest first. */
export async function tokensOfUser(db: Executor, userId: number): Promise<TokenRowWithUser[]> {
  const rows = await tokensWithUsers(db).where("t.userId", "=", userId).orderBy("t.id", "asc").execute();
  return rows.map(nest);
}

/** Every key with its user, newest first; each search term matches the user's name or email, or the key's name or prefix. */
export async function pageOfTokens(
  db: Executor,
  provider: Database["provider"],
  q: { terms: string[]; userId?: number; limit: number; offset: number },
): Promise<Page<TokenRowWithUser>> {
  const matching = (base: ReturnType<typeof tokensWithUsers>) =>
    base
      .$if(q.terms.length > 0, (b) =>
        b.where((eb) =>
          eb.and(
            q.terms.map((term) => containsTerm(eb, provider, ["u.username", "u.email", "t.name", "t.prefix"], term)),
          ),
        ),
      )
      .$if(q.userId !== undefined, (b) => b.where("t.userId", "=", q.userId!));
  const counted = () =>
    matching(tokensWithUsers(db))
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as("n"));
  const rows = await matching(tokensWithUsers(db))
    .select(counted().as(TOTAL))
    .orderBy("t.id", "desc")
    .limit(pageBound(q.limit))
    .offset(pageBound(q.offset))
    .execute();
  const page = await toPage(rows, q.offset, async () => Number((await counted().executeTakeFirstOrThrow()).n));
  return { count: page.count, results: page.results.map(nest) };
}

/** Bookkeeping: when keys were last used. A key deleted meanwhile matches no row. */
export async function touchTokens(db: Executor, tokenIds: number[], at: Date): Promise<void> {
  if (tokenIds.length === 0) return;
  await db.updateTable("Token").set({ lastUsedAt: at }).where("id", "in", tokenIds).execute();
}

/** Which of these digests are stored. */
export async function existingDigests(db: Executor, digests: string[]): Promise<string[]> {
  if (digests.length === 0) return [];
  const rows = await db.selectFrom("Token").select("digest").where("digest", "in", digests).execute();
  return rows.map((r) => r.digest);
}

/** A user's keys that have not expired at `now`. */
export async function countLiveTokens(db: Executor, userId: number, now: Date): Promise<number> {
  const row = await db
    .selectFrom("Token")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("userId", "=", userId)
    .where((eb) => eb.or([eb("expiresAt", "is", null), eb("expiresAt", ">", now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Deletes keys; returns how many went. */
export async function deleteTokens(db: Executor, where: { id?: number; userId?: number }): Promise<number> {
  if (where.id === undefined && where.userId === undefined) throw new Error("deleteTokens: which keys?");
  const result = await db
    .deleteFrom("Token")
    .$if(where.id !== undefined, (q) => q.where("id", "=", where.id!))
    .$if(where.userId !== undefined, (q) => q.where("userId", "=", where.userId!))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes one key; whose it was and its prefix, or null when no key matched. */
export async function deleteToken(
  db: Executor,
  where: { id: number; userId?: number },
): Promise<Pick<TokenModel, "userId" | "prefix"> | null> {
  const row = await db
    .deleteFrom("Token")
    .where("id", "=", where.id)
    .$if(where.userId !== undefined, (q) => q.where("userId", "=", where.userId!))
    .returning(["userId", "prefix"])
    .executeTakeFirst();
  return row ?? null;
}

export async function insertTokens(db: Executor, rows: NewTokenRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto("Token").values(rows).execute();
}
