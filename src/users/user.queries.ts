import type { UserModel } from "../db/models";
import type { Database } from "../db/database-url";
import { columnList, from, join, orderBy, pageOf, searchCondition, sql, table, type RowOfTable, type SqlRunner } from "../db/sql";
import { UserOrder } from "./user.type";

// The User table's SQL. Columns are typed from Prisma's generated model, so
// renaming one in the Prisma schema fails to compile here.

export const publicUsers = table<UserModel>()("User", ["id", "username", "email", "isStaff", "isActive", "dateJoined", "lastLogin"]);

export type PublicUserRow = RowOfTable<typeof publicUsers>;

const ORDER: Record<UserOrder, string> = {
  ID_ASC: `"id" ASC`,
  ID_DESC: `"id" DESC`,
  // id breaks ties so pages never overlap or skip.
  USERNAME_ASC: `"username" ASC, "id" ASC`,
  USERNAME_DESC: `"username" DESC, "id" DESC`,
  DATE_JOINED_ASC: `"dateJoined" ASC, "id" ASC`,
  DATE_JOINED_DESC: `"dateJoined" DESC, "id" DESC`,
};

export interface UserFilter {
  terms: string[];
  isStaff?: boolean | null;
  isActive?: boolean | null;
  order: UserOrder;
  limit: number;
  offset: number;
}

export function listUsers(db: SqlRunner, provider: Database["provider"], f: UserFilter) {
  const conditions = [searchCondition<UserModel>(provider, ["username", "email"], f.terms)];
  if (f.isStaff != null) conditions.push(sql`"isStaff" = ${f.isStaff}`);
  if (f.isActive != null) conditions.push(sql`"isActive" = ${f.isActive}`);
  return pageOf<PublicUserRow>(db, {
    select: columnList(publicUsers),
    from: from(publicUsers),
    where: join(conditions, " AND "),
    orderBy: orderBy(ORDER[f.order]),
    limit: f.limit,
    offset: f.offset,
  });
}
