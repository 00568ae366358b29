import type { Database } from "../db/database-url";
import type { TokenModel, UserModel } from "../db/models";
import {
  columnList,
  from,
  orderBy,
  pageOf,
  raw,
  searchCondition,
  where,
  sql,
  table,
  type RowOfTable,
  type Sql,
  type SqlRunner,
} from "../db/sql";
import type { AuthUser } from "../graphql/context";
import { publicUsers } from "../users/user.queries";

// The Token table's SQL. Columns are typed from Prisma's generated models, so
// renaming one in the Prisma schema fails to compile here.

const tokenInfo = table<TokenModel>()("Token", [
  "id",
  "name",
  "prefix",
  "createdAt",
  "lastUsedAt",
  "expiresAt",
  "userId",
]);
// The same columns as a user's public view (never the password hash).
const authUser = publicUsers;
const TOKENS_WITH_USERS = sql`${from(tokenInfo, "t")} JOIN ${from(authUser, "u")} ON u."id" = t."userId"`;

export type TokenWithUser = { tokenId: TokenModel["id"] } & Pick<TokenModel, "expiresAt" | "lastUsedAt"> & AuthUser;

/**
 * The key's row joined with its user, in one statement: Prisma would load
 * the relation with a second query, and this runs on every authenticated request.
 */
export async function findByDigest(db: SqlRunner, digest: string): Promise<TokenWithUser | null> {
  const [row] = await db.$queryRaw<TokenWithUser[]>`
    SELECT t."id" AS "tokenId", t."expiresAt", t."lastUsedAt", ${columnList(authUser, "u")}
    FROM ${TOKENS_WITH_USERS} WHERE t."digest" = ${digest}`;
  return row ?? null;
}

export type NewTokenRow = Pick<TokenModel, "digest" | "prefix" | "name" | "expiresAt">;

/**
 * Inserts a key for `userId` in one statement that also checks its user:
 * no row is inserted when the user is gone, or when `credentialVersion` is
 * given and the user's password changed since it was read. PostgreSQL holds
 * a share lock on the user row until the insert commits, so a concurrent
 * password change or delete either waits for it (and then removes the key)
 * or wins first (and the insert finds nothing); SQLite serialises writers.
 * Returns whether a row was inserted.
 */
export async function insertToken(
  db: SqlRunner,
  provider: Database["provider"],
  userId: number,
  row: NewTokenRow,
  opts: { credentialVersion?: number; now: Date },
): Promise<boolean> {
  const version =
    opts.credentialVersion === undefined ? sql`` : sql` AND u."credentialVersion" = ${opts.credentialVersion}`;
  const lock = raw(provider === "postgresql" ? " FOR SHARE" : "");
  const inserted = await db.$executeRaw`
    INSERT INTO "Token" ("digest", "prefix", "name", "userId", "createdAt", "expiresAt")
    SELECT ${row.digest}, ${row.prefix}, ${row.name}, u."id", ${opts.now}, ${row.expiresAt}
    FROM "User" u WHERE u."id" = ${userId}${version}${lock}`;
  return inserted === 1;
}

export type TokenInfoRow = RowOfTable<typeof tokenInfo>;
export type TokenRowWithUser = TokenInfoRow & { user: AuthUser };

const SELECT_WITH_USER = sql`${columnList(tokenInfo, "t")}, ${raw(authUser.columns.map((c) => `u."${c}" AS "u_${c}"`).join(", "))}`;

type Flat = TokenInfoRow & { [K in keyof AuthUser as `u_${K}`]: AuthUser[K] };

function nest(row: Flat): TokenRowWithUser {
  const { id, name, prefix, createdAt, lastUsedAt, expiresAt, userId } = row;
  const user = Object.fromEntries(authUser.columns.map((c) => [c, row[`u_${c}`]])) as AuthUser;
  return { id, name, prefix, createdAt, lastUsedAt, expiresAt, userId, user };
}

/** One user's keys with the user, oldest first. */
export async function tokensOfUser(db: SqlRunner, userId: number): Promise<TokenRowWithUser[]> {
  const rows = await db.$queryRaw<Flat[]>`
    SELECT ${SELECT_WITH_USER} FROM ${TOKENS_WITH_USERS} WHERE t."userId" = ${userId} ORDER BY t."id" ASC`;
  return rows.map(nest);
}

/** Every key with its user, newest first; the search matches the user's name or email, or the key's name or prefix. */
export async function pageOfTokens(
  db: SqlRunner,
  provider: Database["provider"],
  q: { terms: string[]; userId?: number; limit: number; offset: number },
) {
  // Every term must match the key's user or the key itself.
  const conditions: (Sql | null)[] = q.terms.map(
    (term) =>
      sql`(${searchCondition<UserModel>(provider, ["username", "email"], [term], "u")} OR ${searchCondition<TokenModel>(provider, ["name", "prefix"], [term], "t")})`,
  );
  if (q.userId !== undefined) conditions.push(sql`t."userId" = ${q.userId}`);
  const page = await pageOf<Flat>(db, {
    select: SELECT_WITH_USER,
    from: TOKENS_WITH_USERS,
    where: where(conditions),
    orderBy: orderBy(`t."id" DESC`),
    limit: q.limit,
    offset: q.offset,
  });
  return { count: page.count, results: page.results.map(nest) };
}

/** Bookkeeping: when the key was last used. A key deleted meanwhile matches no row. */
export async function touchToken(db: SqlRunner, tokenId: number, at: Date): Promise<void> {
  await db.$executeRaw`UPDATE "Token" SET "lastUsedAt" = ${at} WHERE "id" = ${tokenId}`;
}
