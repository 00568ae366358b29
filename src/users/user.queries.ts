import type { UserModel } from "../db/models";
import type { Database } from "../db/database-url";
import {
  columnList,
  from,
  orderBy,
  pageOf,
  searchCondition,
  where,
  type Sql,
  sql,
  table,
  type RowOfTable,
  type SqlRunner,
} from "../db/sql";
import { USER_ORDER_SQL, type UserOrder } from "./user.type";

// The User table's SQL. Columns are typed from Prisma's generated model, so
// renaming one in the Prisma schema fails to compile here.

export const publicUsers = table<UserModel>()("User", [
  "id",
  "username",
  "email",
  "isStaff",
  "isActive",
  "dateJoined",
  "lastLogin",
]);

export type PublicUserRow = RowOfTable<typeof publicUsers>;

export interface UserFilter {
  terms: string[];
  isStaff?: boolean | null;
  isActive?: boolean | null;
  order: UserOrder;
  limit: number;
  offset: number;
}

export function listUsers(db: SqlRunner, provider: Database["provider"], f: UserFilter) {
  const conditions: (Sql | null)[] = [searchCondition<UserModel>(provider, ["username", "email"], f.terms)];
  if (f.isStaff != null) conditions.push(sql`"isStaff" = ${f.isStaff}`);
  if (f.isActive != null) conditions.push(sql`"isActive" = ${f.isActive}`);
  return pageOf<PublicUserRow>(db, {
    select: columnList(publicUsers),
    from: from(publicUsers),
    where: where(conditions),
    orderBy: orderBy(USER_ORDER_SQL[f.order]),
    limit: f.limit,
    offset: f.offset,
  });
}

/** A user with what a login checks: the password hash and its version. */
const loginUsers = table<UserModel>()("User", [...publicUsers.columns, "password", "credentialVersion"]);
export type LoginUserRow = RowOfTable<typeof loginUsers>;

/** The user a login names (usernames are stored normalised), with the password hash. */
export async function findLoginUser(db: SqlRunner, username: string): Promise<LoginUserRow | null> {
  const [row] = await db.$queryRaw<LoginUserRow[]>`
    SELECT ${columnList(loginUsers)} FROM ${from(loginUsers)} WHERE "username" = ${username}`;
  return row ?? null;
}

/**
 * Replaces a password hash with a new hash of the same password (an imported
 * Django hash upgraded), only if it is still `stored`: a password changed
 * meanwhile wins. The credential version stays, since the password does.
 */
export async function rehashPassword(db: SqlRunner, id: number, stored: string, hashed: string): Promise<void> {
  await db.$executeRaw`UPDATE "User" SET "password" = ${hashed} WHERE "id" = ${id} AND "password" = ${stored}`;
}

export async function setLastLogin(db: SqlRunner, id: number, at: Date): Promise<void> {
  await db.$executeRaw`UPDATE "User" SET "lastLogin" = ${at} WHERE "id" = ${id}`;
}
