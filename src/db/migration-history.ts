import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

// What both migration runners share: the committed migration folders as
// Prisma Migrate writes them (prisma/<provider>/migrations/<name>/migration.sql)
// and the history Prisma keeps of them in `_prisma_migrations`, read and
// written exactly as `prisma migrate deploy` does, so Prisma's own commands
// (`migrate status`, `migrate resolve`, `migrate diff --from-migrations`)
// agree with what the runners applied.

const ROOT = join(__dirname, "..", "..");

/** Prisma's table, in every migrated database. */
export const MIGRATIONS_TABLE = "_prisma_migrations";

export interface MigrateOptions {
  /** How long to wait for the migration lock another process holds (MIGRATION_LOCK_TIMEOUT), in ms. */
  lockTimeoutMs: number;
  /** Called once, with one line, when the lock is taken and the wait begins. */
  onWait?: (line: string) => void;
  /** The migrations folder; defaults to prisma/<provider>/migrations. */
  directory?: string;
}

export interface MigrationResult {
  /** The migrations this run applied, in order; empty when there was nothing to do. */
  applied: string[];
}

export interface MigrationFile {
  /** The folder's name, as recorded in `migration_name`. */
  name: string;
  /** migration.sql as text. */
  script: string;
  /** Prisma's checksum: the SHA-256 of the script's UTF-8 text, as 64 lowercase hex digits. */
  checksum: string;
  /** The script's path from the project's root, for messages. */
  path: string;
}

/** The committed migrations of `provider`, in the order Prisma applies them. */
export function migrationFiles(provider: "sqlite" | "postgresql", directory?: string): MigrationFile[] {
  const dir = directory ?? join(ROOT, "prisma", provider, "migrations");
  return (
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      // Prisma's CLI orders the folders with localeCompare; the same order
      // here, so the two never disagree on what comes first.
      .sort((a, b) => a.localeCompare(b))
      .map((name) => {
        const file = join(dir, name, "migration.sql");
        const script = readFileSync(file, "utf8");
        return { name, script, checksum: checksum(script), path: relative(ROOT, file) };
      })
  );
}

export function checksum(script: string): string {
  return createHash("sha256").update(script, "utf8").digest("hex");
}

/** A row of `_prisma_migrations`, as far as deciding what to apply needs. */
export interface MigrationRecord {
  migration_name: string;
  started_at: Date | string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
  logs: string | null;
}

/**
 * The migrations to apply, in order: those with no row that was not rolled
 * back. A row neither finished nor rolled back is a migration that failed
 * half-way under `prisma migrate deploy` (this runner never leaves one):
 * like Prisma (P3009), nothing is applied until someone has looked at it.
 */
export function pendingMigrations(files: MigrationFile[], records: MigrationRecord[], where: string): MigrationFile[] {
  const failed = records.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed) {
    const logs = failed.logs?.trim() ? `: ${oneLine(failed.logs)}` : "";
    throw new MigrationError(
      `migration ${failed.migration_name} failed earlier (started ${timestamp(failed.started_at)}${logs}) and is recorded as unfinished in ${MIGRATIONS_TABLE} on ${where}: ` +
        `repair the database by hand, then mark it rolled back (npx prisma migrate resolve --rolled-back ${failed.migration_name}, or ` +
        `UPDATE "${MIGRATIONS_TABLE}" SET rolled_back_at = now() WHERE migration_name = '${failed.migration_name}' AND finished_at IS NULL) and migrate again`,
    );
  }
  const applied = new Set(records.filter((r) => r.rolled_back_at === null).map((r) => r.migration_name));
  return files.filter((f) => !applied.has(f.name));
}

/** A migration problem whose message is complete for the operator: printed as is, in one line. */
export class MigrationError extends Error {}

/** The migration lock stayed taken for the whole MIGRATION_LOCK_TIMEOUT. */
export class MigrationLockTimeoutError extends MigrationError {}

export function lockTimeoutMessage(what: string, waitedMs: number, timeoutMs: number): string {
  return `another process holds ${what}: gave up after waiting ${seconds(waitedMs)} (MIGRATION_LOCK_TIMEOUT=${seconds(timeoutMs)}); nothing was applied`;
}

export function waitingMessage(what: string, timeoutMs: number): string {
  return `another process holds ${what}; waiting up to ${seconds(timeoutMs)} (MIGRATION_LOCK_TIMEOUT)`;
}

/** A migration's script failed: the database's own words, where, and that it was all undone. */
export function failedMigrationMessage(migration: MigrationFile, reason: string, line?: number): string {
  const at = line === undefined ? migration.path : `line ${line} of ${migration.path}`;
  return `migration ${migration.name} failed: ${oneLine(reason)} (${at}); nothing was applied, every migration of this run was rolled back`;
}

/** A database with tables but no history: not ours to migrate (Prisma's P3005). */
export function notEmptyMessage(where: string): string {
  return `${where} has tables but no ${MIGRATIONS_TABLE} table: these migrations did not create it, so they are not applied to it (point the URL at an empty database, or at one these migrations created)`;
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}

function timestamp(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : value;
}
