import type { DatabaseHandle } from "../../db/database";
import { ImportError, Planner, type OnConflict } from "./plan";
import {
  KEYS,
  SourceError,
  USERS,
  checkTableName,
  countUsers,
  firstLine,
  openDjangoSource,
  sourceDuplicates,
  studentPages,
  userPages,
  type DjangoSource,
} from "./read";
import { type ImportReport, type Progress } from "./report";
import { inTransaction, targetLookups, writeStudents, writeUsers } from "./write";

export { ImportError, type OnConflict };

// `manage import-django`: users, DRF keys and the seed's students from a
// Django database, so nobody logs in again and no client needs a new key.
// The source is read page by page inside one read transaction (read.ts);
// each page is checked (plan.ts) and written (write.ts) inside one target
// transaction, so any error leaves the target as it was and memory stays
// bounded by a page, whatever the number of users.

export interface ImportOptions {
  /** Defaults to the seed's api_student, imported only if present. */
  studentsTable?: string;
  dryRun: boolean;
  onConflict: OnConflict;
  /** Each refused row's line under `skip`, as it is found. */
  note: (line: string) => void;
  progress: Progress;
}

/** Rows per page: read, looked up and inserted together. */
const PAGE = 1000;

export async function importDjango(db: DatabaseHandle, source: string, options: ImportOptions): Promise<ImportReport> {
  let studentsTable: string | undefined;
  let django: DjangoSource;
  try {
    studentsTable = options.studentsTable === undefined ? undefined : checkTableName(options.studentsTable);
    django = await openDjangoSource(source);
  } catch (e) {
    throw new ImportError(`cannot open the source: ${e instanceof SourceError ? e.message : firstLine(e)}`);
  }
  try {
    return await run(db, django, studentsTable, options);
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`cannot import from ${django.description}: ${firstLine(e)}`);
  } finally {
    await django.close().catch(() => undefined);
  }
}

async function run(
  db: DatabaseHandle,
  django: DjangoSource,
  studentsOption: string | undefined,
  options: ImportOptions,
): Promise<ImportReport> {
  for (const table of [USERS, KEYS]) {
    if (!(await django.hasTable(table))) {
      throw new ImportError(
        `${django.description} has no ${table} table: is it a Django database with rest_framework.authtoken?`,
      );
    }
  }
  const studentsTable = await findStudentsTable(django, studentsOption);
  const duplicates = await sourceDuplicates(django, studentsTable);
  const totalUsers = await countUsers(django);
  const { progress } = options;

  const counts = await inTransaction(db, options.dryRun, async (tx) => {
    const planner = new Planner(options.onConflict, duplicates, targetLookups(tx), options.note);
    // After the first refused row a failing run only plans, to name every
    // refused row; what was written is rolled back.
    const writing = () => !options.dryRun && planner.refused === 0;
    let done = 0;
    for await (const page of userPages(django, PAGE)) {
      const { users, keys } = await planner.users(page);
      if (writing()) await writeUsers(tx, users, keys);
      done += page.users.length;
      progress.update("users", done, totalUsers);
    }
    if (studentsTable !== null) {
      for await (const rows of studentPages(django, studentsTable, PAGE)) {
        const students = await planner.students(rows);
        if (writing()) await writeStudents(tx, students);
      }
    }
    progress.end();
    const failure = planner.failure();
    if (failure) throw new ImportError(failure);
    return planner.counts;
  });
  return { source: django.description, ...counts };
}

/** The students' table, checked for the columns the import needs; null when there is none to import. */
async function findStudentsTable(django: DjangoSource, option: string | undefined): Promise<string | null> {
  const table = option ?? "api_student";
  if (!(await django.hasTable(table))) {
    if (option !== undefined) throw new ImportError(`${django.description} has no ${option} table (--students-table)`);
    return null;
  }
  const columns = await django.columns(table);
  for (const column of ["name", "roll", "city"]) {
    if (!columns.has(column)) throw new ImportError(`${table} has no ${column} column`);
  }
  return table;
}
