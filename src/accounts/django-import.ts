import { KEY_PATTERN, keyPrefix } from "../auth/crypto";
import type { TokenService } from "../auth/token.service";
import type { Prisma, Transaction } from "../db/prisma";
import type { StudentService } from "../students/student.service";
import type { ImportedUser, UserService } from "../users/user.service";
import { djangoHashStatus } from "../users/django-hashers";
import { usernameField } from "../users/username";
import { SourceError, checkTableName, firstLine, openDjangoSource, type DjangoSource, type Row } from "./django-source";

// `manage import-django`: users, DRF keys and the seed's students from a
// Django database, so nobody logs in again and no client needs a new key.
// Everything is read first, then written in one transaction: any error leaves
// the target as it was.

export type OnConflict = "skip" | "fail";

export interface ImportOptions {
  /** Defaults to the seed's api_student, imported only if present. */
  studentsTable?: string;
  dryRun: boolean;
  onConflict: OnConflict;
}

export interface ImportReport {
  source: string;
  users: number;
  keys: number;
  students: number;
  skipped: { users: number; keys: number; students: number };
  /** Users whose hash was made by a hasher this server cannot check. */
  passwordMustBeReset: number;
  /** Users Django itself would not let log in with a password ("!" hashes). */
  unusablePasswords: number;
  /** One line per left-out row that breaks a rule (not those that are simply there already). */
  notes: string[];
}

export class ImportError extends Error {}

interface DjangoUser extends ImportedUser {
  djangoId: string;
}

interface DjangoKey {
  key: string;
  djangoUserId: string;
  created: Date;
}

interface DjangoStudent {
  name: string;
  roll: number;
  city: string;
  createdAt: Date;
  updatedAt: Date;
}

type Tx = Transaction;

/** Each table's rows are written by the service that owns them. */
export interface ImportTargets {
  prisma: Prisma;
  users: UserService;
  tokens: TokenService;
  students: StudentService;
}

const BATCH = 500;
const MAX_ROLL = 2_147_483_647;

export async function importDjango(
  targets: ImportTargets,
  source: string,
  options: ImportOptions,
): Promise<ImportReport> {
  const { prisma } = targets;
  const studentsTable = options.studentsTable === undefined ? undefined : checkTableName(options.studentsTable);
  let db: DjangoSource;
  try {
    db = await openDjangoSource(source);
  } catch (e) {
    throw new ImportError(`cannot open the source: ${e instanceof SourceError ? e.message : firstLine(e)}`);
  }
  let data: Awaited<ReturnType<typeof readSource>>;
  try {
    data = await readSource(db, studentsTable);
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`cannot read ${db.description}: ${firstLine(e)}`);
  } finally {
    await db.close();
  }

  const run = async (tx: Tx) => {
    const plan = await planImport(targets, tx, data, options.onConflict);
    const report: ImportReport = { source: db.description, ...plan.counts };
    if (!options.dryRun) await write(targets, tx, plan);
    return report;
  };
  if (options.dryRun) return run(prisma);
  // The conflicts are looked up inside the transaction too, so nothing can slip in between.
  return prisma.$transaction((tx) => run(tx), { maxWait: 30_000, timeout: 30 * 60_000 });
}

async function readSource(db: DjangoSource, studentsTable: string | undefined) {
  for (const table of ["auth_user", "authtoken_token"]) {
    if (!(await db.hasTable(table))) {
      throw new ImportError(
        `${db.description} has no ${table} table: is it a Django database with rest_framework.authtoken?`,
      );
    }
  }
  let students: DjangoStudent[] = [];
  const table = studentsTable ?? "api_student";
  if (await db.hasTable(table)) {
    students = (await db.rows(`SELECT * FROM "${table}"`)).map((row) => toStudent(row, table));
    students.sort((a, b) => a.roll - b.roll);
  } else if (studentsTable !== undefined) {
    throw new ImportError(`${db.description} has no ${studentsTable} table (--students-table)`);
  }
  const users = (
    await db.rows(
      "SELECT id, username, email, password, is_staff, is_superuser, is_active, date_joined, last_login FROM auth_user ORDER BY id",
    )
  ).map(toUser);
  const keys = (await db.rows(`SELECT "key", user_id, created FROM authtoken_token ORDER BY created, "key"`)).map(
    toKey,
  );
  return { users, keys, students };
}

function toUser(row: Row): DjangoUser {
  return {
    djangoId: String(row.id),
    username: text(row.username, "auth_user.username"),
    email: text(row.email ?? "", "auth_user.email"),
    password: text(row.password, "auth_user.password"),
    // Django's superuser passes every permission check, so it is staff here.
    isStaff: bool(row.is_staff) || bool(row.is_superuser),
    isActive: bool(row.is_active),
    dateJoined: date(row.date_joined, "auth_user.date_joined")!,
    lastLogin: date(row.last_login, "auth_user.last_login", true),
  };
}

function toKey(row: Row): DjangoKey {
  return {
    key: text(row.key, "authtoken_token.key"),
    djangoUserId: String(row.user_id),
    created: date(row.created, "authtoken_token.created")!,
  };
}

function toStudent(row: Row, table: string): DjangoStudent {
  for (const column of ["name", "roll", "city"]) {
    if (!(column in row)) throw new ImportError(`${table} has no ${column} column`);
  }
  const roll = Number(row.roll);
  if (!Number.isSafeInteger(roll)) throw new ImportError(`${table}.roll: ${String(row.roll)} is not an integer`);
  const createdAt = date(row.created_at ?? null, `${table}.created_at`, true) ?? new Date();
  return {
    name: text(row.name, `${table}.name`),
    roll,
    city: text(row.city, `${table}.city`),
    createdAt,
    updatedAt: date(row.updated_at ?? null, `${table}.updated_at`, true) ?? createdAt,
  };
}

function text(value: unknown, column: string): string {
  if (typeof value !== "string")
    throw new ImportError(`${column}: expected text, found ${value === null ? "NULL" : typeof value}`);
  return value;
}

/** SQLite gives 0/1, PostgreSQL booleans. */
function bool(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === "1" || value === "t";
}

/**
 * PostgreSQL's pg gives Dates; Django writes SQLite datetimes as text,
 * "2026-11-30 05:35:04.123456", in UTC when USE_TZ is on (the default since 1.4... and
 * in the seed), sometimes with an offset.
 */
function date(value: unknown, column: string, nullable = false): Date | null {
  if (value === null || value === undefined) {
    if (nullable) return null;
    throw new ImportError(`${column}: expected a date, found NULL`);
  }
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  if (typeof value === "string") {
    const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
    if (m) {
      const fraction = (m[3] ?? "").slice(0, 4); // milliseconds: what the target keeps
      const parsed = new Date(`${m[1]}T${m[2]}${fraction}${m[4] ?? "Z"}`);
      if (!Number.isNaN(parsed.getTime())) return parsed;
    }
  }
  throw new ImportError(`${column}: ${JSON.stringify(value) ?? typeof value} is not a date`);
}

interface Plan {
  users: DjangoUser[];
  keys: DjangoKey[];
  students: DjangoStudent[];
  counts: Omit<ImportReport, "source">;
}

async function existing<T extends string | number>(values: T[], find: (batch: T[]) => Promise<T[]>): Promise<Set<T>> {
  const found = new Set<T>();
  for (let i = 0; i < values.length; i += BATCH) for (const v of await find(values.slice(i, i + BATCH))) found.add(v);
  return found;
}

/** Why a Django username cannot be kept as it is here, or null. */
function usernameProblem(username: string): string | null {
  const parsed = usernameField.safeParse(username);
  if (!parsed.success) return parsed.error.issues.map((i) => i.message).join(" ");
  // Logins are looked up trimmed and NFKC-normalised: another form could never log in.
  if (parsed.data !== username) return `logins would look it up as "${parsed.data}" (trimmed, NFKC)`;
  return null;
}

async function planImport(
  targets: ImportTargets,
  tx: Tx,
  data: { users: DjangoUser[]; keys: DjangoKey[]; students: DjangoStudent[] },
  onConflict: OnConflict,
) {
  const takenNames = await existing(
    data.users.map((u) => u.username),
    (batch) => targets.users.existingUsernames(batch, tx),
  );
  const takenKeys = await existing(
    data.keys.map((k) => k.key),
    (batch) => targets.tokens.existingKeys(batch, tx),
  );
  const takenRolls = await existing(
    data.students.map((s) => s.roll).filter((r) => r >= 0 && r <= MAX_ROLL),
    (batch) => targets.students.existingRolls(batch, tx),
  );

  const counts: Plan["counts"] = {
    users: 0,
    keys: 0,
    students: 0,
    skipped: { users: 0, keys: 0, students: 0 },
    passwordMustBeReset: 0,
    unusablePasswords: 0,
    notes: [],
  };
  /** A row that cannot be imported: the first one ends a `fail` import; `skip` leaves it out. */
  const conflict = (kind: "users" | "keys" | "students", what: string, note: boolean) => {
    if (onConflict === "fail") throw new ImportError(`${what} (--on-conflict skip leaves such rows out)`);
    counts.skipped[kind]++;
    if (note) counts.notes.push(`skipped: ${what}`);
  };

  const users: DjangoUser[] = [];
  const usernames = new Map<string, string>();
  for (const user of data.users) {
    usernames.set(user.djangoId, user.username);
    const problem = usernameProblem(user.username);
    if (problem) {
      conflict("users", `user ${JSON.stringify(user.username)} breaks the username rules: ${problem}`, true);
    } else if (takenNames.has(user.username)) {
      conflict("users", `user ${JSON.stringify(user.username)} already exists`, false);
    } else {
      users.push(user);
      const status = djangoHashStatus(user.password);
      if (status === "unsupported") counts.passwordMustBeReset++;
      if (status === "unusable") counts.unusablePasswords++;
    }
  }
  const imported = new Set(users.map((u) => u.djangoId));

  const keys: DjangoKey[] = [];
  data.keys.forEach((key) => {
    const owner = JSON.stringify(usernames.get(key.djangoUserId) ?? `#${key.djangoUserId}`);
    const label = KEY_PATTERN.test(key.key) ? `key ${keyPrefix(key.key)}… of user ${owner}` : `key of user ${owner}`;
    // A key is only ever attached to the user it came with: never to someone already here who has the same name.
    if (!imported.has(key.djangoUserId)) counts.skipped.keys++;
    else if (!KEY_PATTERN.test(key.key))
      conflict("keys", `${label} is not 40 lowercase hex characters, so no client could use it here`, true);
    else if (takenKeys.has(key.key)) conflict("keys", `${label} already exists`, false);
    else keys.push(key);
  });

  const students: DjangoStudent[] = [];
  for (const student of data.students) {
    if (student.roll < 0 || student.roll > MAX_ROLL) {
      conflict("students", `student roll ${student.roll} is outside 0..${MAX_ROLL}`, true);
    } else if ([...student.name].length > 100 || [...student.city].length > 100) {
      conflict("students", `student roll ${student.roll} has a name or city over 100 characters`, true);
    } else if (takenRolls.has(student.roll)) {
      conflict("students", `student roll ${student.roll} already exists`, false);
    } else students.push(student);
  }

  counts.users = users.length;
  counts.keys = keys.length;
  counts.students = students.length;
  return { users, keys, students, counts } satisfies Plan;
}

async function write(targets: ImportTargets, tx: Tx, plan: Plan): Promise<void> {
  const ids = new Map<string, number>();
  for (let i = 0; i < plan.users.length; i += BATCH) {
    const batch = plan.users.slice(i, i + BATCH);
    const created = await targets.users.importMany(
      batch.map(({ djangoId: _, ...user }) => user),
      tx,
    );
    const byName = new Map(created.map((u) => [u.username, u.id]));
    for (const user of batch) ids.set(user.djangoId, byName.get(user.username)!);
  }
  for (let i = 0; i < plan.keys.length; i += BATCH) {
    await targets.tokens.importKeys(
      plan.keys
        .slice(i, i + BATCH)
        .map((k) => ({ key: k.key, name: "imported", userId: ids.get(k.djangoUserId)!, createdAt: k.created })),
      tx,
    );
  }
  for (let i = 0; i < plan.students.length; i += BATCH) {
    await targets.students.importMany(plan.students.slice(i, i + BATCH), tx);
  }
}

/** The lines the command prints. */
export function formatReport(report: ImportReport, dryRun: boolean): string {
  const skipped = report.skipped.users + report.skipped.keys + report.skipped.students;
  const lines = [
    ...report.notes,
    dryRun ? `Dry run: nothing was written. From ${report.source} it would import:` : `Imported from ${report.source}:`,
    `users: ${report.users}`,
    `keys: ${report.keys}`,
    `students: ${report.students}`,
    `skipped: ${skipped}` +
      (skipped > 0
        ? ` (${report.skipped.users} users, ${report.skipped.keys} keys, ${report.skipped.students} students)`
        : ""),
  ];
  if (report.passwordMustBeReset > 0) {
    lines.push(
      `password must be reset: ${report.passwordMustBeReset} (hashed by a Django hasher this server cannot check)`,
    );
  }
  if (report.unusablePasswords > 0) {
    lines.push(`unusable passwords: ${report.unusablePasswords} (no password login, as in Django)`);
  }
  return lines.join("\n");
}
