import type { Database } from "../db/database-url";
import type { StudentModel } from "../db/models";
import {
  columnList,
  from,
  orderBy,
  pageOf,
  searchCondition,
  table,
  where,
  type RowOfTable,
  type SqlRunner,
} from "../db/sql";
import { STUDENT_ORDER_SQL, type StudentOrder } from "./student.type";

// The Student table's SQL, for the statements the seed's CRUD sends most (a
// page, one student, a new student). Columns are typed from Prisma's
// generated model, so renaming one in the Prisma schema fails to compile
// here. Updates and deletes use Prisma's API.

export const students = table<StudentModel>()("Student", ["id", "name", "roll", "city", "createdAt", "updatedAt"]);
export type StudentRow = RowOfTable<typeof students>;

export function listStudents(
  db: SqlRunner,
  provider: Database["provider"],
  q: { terms: string[]; order: StudentOrder; limit: number; offset: number },
) {
  return pageOf<StudentRow>(db, {
    select: columnList(students),
    from: from(students),
    where: where([searchCondition<StudentModel>(provider, ["name", "city"], q.terms)]),
    orderBy: orderBy(STUDENT_ORDER_SQL[q.order]),
    limit: q.limit,
    offset: q.offset,
  });
}

export async function findStudent(db: SqlRunner, id: number): Promise<StudentRow | null> {
  const [row] = await db.$queryRaw<
    StudentRow[]
  >`SELECT ${columnList(students)} FROM ${from(students)} WHERE "id" = ${id}`;
  return row ?? null;
}

export type NewStudent = Pick<StudentModel, "name" | "roll" | "city">;

/**
 * Inserts a student and returns its row, in one statement. `createdAt` and
 * `updatedAt` are bound as Dates, as Prisma binds its own `@default(now())`
 * and `@updatedAt`, so the stored text is the same whichever wrote the row.
 * A taken roll fails with the driver's unique violation (see shared/prisma-errors.ts).
 */
export async function insertStudent(db: SqlRunner, data: NewStudent, now: Date): Promise<StudentRow> {
  const [row] = await db.$queryRaw<StudentRow[]>`
    INSERT INTO ${from(students)} ("name", "roll", "city", "createdAt", "updatedAt")
    VALUES (${data.name}, ${data.roll}, ${data.city}, ${now}, ${now})
    RETURNING ${columnList(students)}`;
  if (!row) throw new Error("INSERT ... RETURNING gave no row");
  return row;
}
