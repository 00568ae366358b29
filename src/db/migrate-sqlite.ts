import { randomUUID } from "node:crypto";
import Sqlite from "better-sqlite3";
import {
  MIGRATIONS_TABLE,
  MigrationError,
  MigrationLockTimeoutError,
  failedMigrationMessage,
  lockTimeoutMessage,
  notEmptyMessage,
  pendingMigrations,
  waitingMessage,
  type MigrateOptions,
  type MigrationFile,
  type MigrationRecord,
  type MigrationResult,
} from "./migration-history";

// SQLite: every pending migration in one BEGIN IMMEDIATE transaction, which
// holds the database's write lock from its first statement: other processes
// keep reading (WAL) and wait to write until it commits or rolls back.

const RECORDS = `SELECT migration_name, started_at, finished_at, rolled_back_at, logs FROM "${MIGRATIONS_TABLE}" ORDER BY started_at`;

// As Prisma's schema engine creates it, so `prisma migrate` reads it unchanged.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

export function migrateSqlite(
  file: string,
  where: string,
  files: MigrationFile[],
  options: MigrateOptions,
): MigrationResult {
  const db = new Sqlite(file, { timeout: options.lockTimeoutMs });
  try {
    // WAL: readers never block the writer, and a killed process loses no
    // committed write. A no-op once set; switching needs a moment alone
    // with the file, hence the busy timeout above.
    db.pragma("journal_mode = WAL");
    if (pendingMigrations(files, records(db), where).length === 0) return { applied: [] };
    return migrateLocked(db, where, files, options);
  } catch (e) {
    if (isBusy(e)) {
      throw new MigrationLockTimeoutError(
        lockTimeoutMessage(writeLock(where), options.lockTimeoutMs, options.lockTimeoutMs),
      );
    }
    throw e;
  } finally {
    db.close();
  }
}

function migrateLocked(
  db: Sqlite.Database,
  where: string,
  files: MigrationFile[],
  options: MigrateOptions,
): MigrationResult {
  // Prisma's table redefinitions (CREATE new_X, copy, DROP X, rename) turn
  // foreign keys off around them, which SQLite ignores inside a transaction;
  // with them on, DROP TABLE would delete the rows that reference X. So they
  // are off for the whole transaction and checked before it commits, as
  // SQLite's own procedure for schema changes does (lang_altertable.html).
  db.pragma("foreign_keys = OFF");
  begin(db, where, options);
  try {
    const pending = pendingMigrations(files, records(db), where);
    if (pending.length > 0 && !hasTable(db)) {
      const tables = db
        .prepare(
          "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
        .get() as { n: number };
      if (tables.n > 0) throw new MigrationError(notEmptyMessage(where));
      db.exec(CREATE_TABLE);
    }
    for (const migration of pending) apply(db, migration);
    const broken = db.prepare("PRAGMA foreign_key_check").all() as { table: string; parent: string }[];
    if (broken.length > 0) {
      const first = broken[0]!;
      throw new MigrationError(
        `migrations ${pending.map((m) => m.name).join(", ")} left ${broken.length} row(s) whose foreign key points nowhere (first: ${first.table} -> ${first.parent}); nothing was applied`,
      );
    }
    db.exec("COMMIT");
    return { applied: pending.map((m) => m.name) };
  } catch (e) {
    if (db.inTransaction) db.exec("ROLLBACK");
    throw e;
  } finally {
    db.pragma("foreign_keys = ON");
  }
}

/** BEGIN IMMEDIATE at once, or says so and waits for the write lock until the busy timeout. */
function begin(db: Sqlite.Database, where: string, options: MigrateOptions): void {
  const started = Date.now();
  db.pragma("busy_timeout = 0");
  try {
    db.exec("BEGIN IMMEDIATE");
    return;
  } catch (e) {
    if (!isBusy(e)) throw e;
  } finally {
    db.pragma(`busy_timeout = ${options.lockTimeoutMs}`);
  }
  options.onWait?.(waitingMessage(writeLock(where), options.lockTimeoutMs));
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (e) {
    if (isBusy(e)) {
      throw new MigrationLockTimeoutError(
        lockTimeoutMessage(writeLock(where), Date.now() - started, options.lockTimeoutMs),
      );
    }
    throw e;
  }
}

function hasTable(db: Sqlite.Database): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE) !== undefined
  );
}

function records(db: Sqlite.Database): MigrationRecord[] {
  if (!hasTable(db)) return [];
  return db.prepare(RECORDS).all() as MigrationRecord[];
}

/** One migration, recorded as `prisma migrate deploy` records it: a row before, finished after. */
function apply(db: Sqlite.Database, migration: MigrationFile): void {
  const id = randomUUID();
  db.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" (id, checksum, started_at, migration_name) VALUES (?, ?, ?, ?)`).run(
    id,
    migration.checksum,
    now(),
    migration.name,
  );
  try {
    db.exec(migration.script);
  } catch (e) {
    if (isSqliteError(e)) throw new MigrationError(failedMigrationMessage(migration, e.message));
    throw e;
  }
  db.prepare(
    `UPDATE "${MIGRATIONS_TABLE}" SET applied_steps_count = applied_steps_count + 1, finished_at = ? WHERE id = ?`,
  ).run(now(), id);
}

/** A timestamp as Prisma's SQLite driver adapter writes one: RFC 3339, milliseconds, UTC. */
function now(): string {
  return new Date().toISOString().replace(/Z$/, "+00:00");
}

function writeLock(where: string): string {
  return `the write lock of ${where}`;
}

/**
 * better-sqlite3's errors, by their code: its addon keeps the SqliteError
 * class of the first load, so `instanceof` fails where modules are loaded
 * more than once (jest's registry per test file).
 */
function isSqliteError(e: unknown): e is { code: string; message: string } {
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  return typeof code === "string" && code.startsWith("SQLITE_") && typeof message === "string";
}

function isBusy(e: unknown): boolean {
  return isSqliteError(e) && /^SQLITE_BUSY/.test(e.code);
}
