import type { Updateable } from "kysely";
import type { Database } from "../db/database-url";
import { arg, runPrepared } from "../db/compiled";
import type { Executor } from "../db/database";
import type { StudentModel } from "../db/models";
import { TOTAL, pageBound, toPage, type Page } from "../db/page";
import { containsEveryTerm } from "../db/search";
import type { DB } from "../generated/kysely/database";
import { STUDENT_ORDER, type StudentOrder } from "./student.type";

// The Student table's statements. Every column is checked by the compiler
// against the row types generated from the Prisma schema.

const STUDENT_COLUMNS = ["id", "name", "roll", "city", "createdAt", "updatedAt"] as const;
export type StudentColumn = (typeof STUDENT_COLUMNS)[number];
export type StudentRow = Pick<StudentModel, StudentColumn>;

/**
 * The columns a read returns: all of them, or, for a GraphQL answer, the
 * fields its client selected (and id), so a page does not read and decode
 * dates nobody asked for. The fields left out are undefined in the rows:
 * only a caller that reads no more than it named may name fewer.
 */
export function studentColumns(fields?: ReadonlySet<string>): readonly StudentColumn[] {
  return fields ? STUDENT_COLUMNS.filter((c) => c === "id" || fields.has(c)) : STUDENT_COLUMNS;
}

export async function listStudents(
  db: Executor,
  provider: Database["provider"],
  q: {
    terms: string[];
    order: StudentOrder;
    limit: number;
    offset: number;
    count: boolean;
    columns: readonly StudentColumn[];
  },
): Promise<Page<StudentRow> | { results: StudentRow[]; count?: undefined }> {
  const matching = () =>
    db
      .selectFrom("Student")
      .$if(q.terms.length > 0, (s) => s.where((eb) => containsEveryTerm(eb, provider, ["name", "city"], q.terms)));
  // Every student: the total kept by triggers (model StudentCount), not a count of every row.
  const counted = () =>
    q.terms.length === 0
      ? db.selectFrom("StudentCount").select((eb) => eb.fn.coalesce(eb.fn.sum<number>("n"), eb.lit(0)).as("n"))
      : matching().select((eb) => eb.fn.countAll<number>().as("n"));
  const { column, direction } = STUDENT_ORDER[q.order];
  const page = (limit: number, offset: number) =>
    matching()
      .select(q.columns)
      .orderBy(column, direction)
      .$if(column !== "id", (s) => s.orderBy("id", direction))
      .limit(pageBound(limit))
      .offset(pageBound(offset));
  if (q.terms.length === 0) {
    // The seed's list as a client pages through it: one statement text per order, prepared once.
    const shape = `students:${q.order}:${q.count ? "count" : "page"}:${q.columns.join(",")}`;
    const build = () => (q.count ? page(arg(0), arg(1)).select(counted().as(TOTAL)) : page(arg(0), arg(1)));
    const { rows } = await runPrepared(db, shape, build, [q.limit, q.offset]);
    if (!q.count) return { results: rows };
    return toPage(rows as (StudentRow & { [TOTAL]: number })[], q.offset, async () =>
      Number((await counted().executeTakeFirstOrThrow()).n),
    );
  }
  if (!q.count) return { results: await page(q.limit, q.offset).execute() };
  const rows = await page(q.limit, q.offset).select(counted().as(TOTAL)).execute();
  return toPage(rows, q.offset, async () => Number((await counted().executeTakeFirstOrThrow()).n));
}

export async function findStudent(
  db: Executor,
  id: number,
  columns: readonly StudentColumn[] = STUDENT_COLUMNS,
): Promise<StudentRow | null> {
  const { rows } = await runPrepared(
    db,
    `findStudent:${columns.join(",")}`,
    () => db.selectFrom("Student").select(columns).where("id", "=", arg<number>(0)),
    [id],
  );
  return rows[0] ?? null;
}

export type NewStudent = Pick<StudentModel, "name" | "roll" | "city">;

/** Inserts a student and returns its row, in one statement. A taken roll fails with the driver's unique violation. */
export async function insertStudent(db: Executor, data: NewStudent, now: Date): Promise<StudentRow> {
  const { rows } = await runPrepared(
    db,
    "insertStudent",
    () =>
      db
        .insertInto("Student")
        .values({
          name: arg<string>(0),
          roll: arg<number>(1),
          city: arg<string>(2),
          createdAt: arg<Date>(3),
          updatedAt: arg<Date>(3),
        })
        .returning(STUDENT_COLUMNS),
    [data.name, data.roll, data.city, now],
  );
  if (!rows[0]) throw new Error("INSERT ... RETURNING gave no row");
  return rows[0];
}

export type StudentChanges = Pick<Updateable<DB["Student"]>, "name" | "roll" | "city">;

/** Updates a student (and its updatedAt); null when there is no such student. */
export async function updateStudent(
  db: Executor,
  id: number,
  changes: StudentChanges,
  now: Date,
): Promise<StudentRow | null> {
  const row = await db
    .updateTable("Student")
    .set({ ...changes, updatedAt: now })
    .where("id", "=", id)
    .returning(STUDENT_COLUMNS)
    .executeTakeFirst();
  return row ?? null;
}

/** Whether a student was deleted. */
export async function deleteStudent(db: Executor, id: number): Promise<boolean> {
  const result = await db.deleteFrom("Student").where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Which of these rolls are taken. */
export async function existingRolls(db: Executor, rolls: number[]): Promise<number[]> {
  if (rolls.length === 0) return [];
  const rows = await db.selectFrom("Student").select("roll").where("roll", "in", rolls).execute();
  return rows.map((r) => r.roll);
}

export type ImportedStudentRow = NewStudent & Pick<StudentModel, "createdAt" | "updatedAt">;

export async function insertStudents(db: Executor, rows: ImportedStudentRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto("Student").values(rows).execute();
}
