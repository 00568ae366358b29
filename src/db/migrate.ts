import { type Database, describeDatabase, ensureDatabaseDirectory } from "./database-url";
import {
  MigrationError,
  migrationFiles,
  oneLine,
  type MigrateOptions,
  type MigrationResult,
} from "./migration-history";

export { MigrationError, MigrationLockTimeoutError } from "./migration-history";
export type { MigrateOptions, MigrationResult } from "./migration-history";

/** MIGRATION_LOCK_TIMEOUT's default, for callers without settings (tests, the bench). */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/**
 * Applies the committed Prisma migrations this database has not had yet, in
 * this process: all of them or none (one transaction), under a lock that
 * makes concurrent callers wait for each other, each recorded in
 * `_prisma_migrations` as `prisma migrate deploy` records it. Prisma writes
 * the migrations (`prisma migrate diff`); only applying them happens here.
 *
 * Rejects with a MigrationError (one line, complete) when a migration fails
 * or the lock stays taken past `lockTimeoutMs`; with the driver's error when
 * the database cannot be reached.
 */
export async function migrate(
  database: Database,
  options: MigrateOptions = { lockTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS },
): Promise<MigrationResult> {
  const files = migrationFiles(database.provider, options.directory);
  const where = describeDatabase(database);
  if (database.provider === "sqlite") {
    ensureDatabaseDirectory(database);
    const { migrateSqlite } = await import("./migrate-sqlite");
    return migrateSqlite(database.file, where, files, options);
  }
  const { migratePostgres } = await import("./migrate-postgresql");
  return migratePostgres(database.url, where, files, options);
}

/** What migrations read from the settings (src/config/config.ts). */
export interface MigrationSettings {
  DATABASE_URL: Database;
  /** PostgreSQL's own address when DATABASE_URL goes through a pooler. */
  DIRECT_DATABASE_URL?: Database;
  /** Seconds. */
  MIGRATION_LOCK_TIMEOUT: number;
}

/**
 * `migrate` as `npm start` and `manage migrate` run it: through
 * DIRECT_DATABASE_URL when set, waiting MIGRATION_LOCK_TIMEOUT for the lock.
 * Rejects with one line: the migration problem, or what the driver said,
 * after the variable that names the database.
 */
export async function migrateWithSettings(
  settings: MigrationSettings,
  onWait?: (line: string) => void,
): Promise<MigrationResult> {
  const [variable, database] = settings.DIRECT_DATABASE_URL
    ? ["DIRECT_DATABASE_URL", settings.DIRECT_DATABASE_URL]
    : ["DATABASE_URL", settings.DATABASE_URL];
  try {
    return await migrate(database, { lockTimeoutMs: settings.MIGRATION_LOCK_TIMEOUT * 1000, onWait });
  } catch (e) {
    // A setting can be well-formed and still unusable (no server there, a
    // file that is not a database): the line then names the variable.
    if (e instanceof MigrationError) throw new Error(`migrations: ${e.message}`, { cause: e });
    throw new Error(`${variable}: ${describeDatabase(database)}: ${driverMessage(e)}`, { cause: e });
  }
}

function driverMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // Node reports a refused connection to every address of a name as an
  // AggregateError with an empty message.
  const code = (e as NodeJS.ErrnoException).code;
  return oneLine(e.message || (code ? `connection failed (${code})` : e.name));
}
