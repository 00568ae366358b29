import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { Client } from "pg";
import { ROOT } from "./build";
import { testDatabase, type TestDatabase } from "./databases";

// For the migration tests: read a database's `_prisma_migrations` and tables
// on either provider, make migration folders with some migrations left out or
// added, and hold the migration lock from outside the process under test.

export const MIGRATION_LOCK_KEY = 72707369;

/** The committed migration folders of `provider`, in name order. */
export function committedMigrations(provider: TestDatabase = testDatabase()): string[] {
  return readdirSync(join(ROOT, "prisma", provider, "migrations"), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** A row of `_prisma_migrations`, timestamps as Dates. */
export interface HistoryRow {
  id: string;
  checksum: string;
  migration_name: string;
  logs: string | null;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}

const HISTORY = `SELECT id, checksum, migration_name, logs, started_at, finished_at, rolled_back_at, applied_steps_count
  FROM "_prisma_migrations" ORDER BY started_at, migration_name`;

function sqliteFile(url: string): string {
  return url.replace(/^file:/, "");
}

/** Runs `run` on a connection of its own to `url` (SQLite file or PostgreSQL). */
export async function onDatabase<T>(
  url: string,
  run: { sqlite: (db: Sqlite.Database) => T; postgresql: (client: Client) => Promise<T> },
): Promise<T> {
  if (url.startsWith("file:")) {
    const db = new Sqlite(sqliteFile(url), { timeout: 5000 });
    try {
      return run.sqlite(db);
    } finally {
      db.close();
    }
  }
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await run.postgresql(client);
  } finally {
    await client.end();
  }
}

/** The database's migration history, oldest first. */
export function history(url: string): Promise<HistoryRow[]> {
  const date = (v: unknown) => (v === null ? null : new Date(v as string));
  return onDatabase(url, {
    sqlite: (db) =>
      (db.prepare(HISTORY).all() as Record<string, unknown>[]).map(
        (r) =>
          ({
            ...r,
            started_at: date(r.started_at),
            finished_at: date(r.finished_at),
            rolled_back_at: date(r.rolled_back_at),
          }) as HistoryRow,
      ),
    postgresql: async (client) => (await client.query<HistoryRow>(HISTORY)).rows,
  });
}

/** The user tables of the database, sorted. */
export function tableNames(url: string): Promise<string[]> {
  return onDatabase(url, {
    sqlite: (db) =>
      (
        db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
          .all() as { name: string }[]
      ).map((r) => r.name),
    postgresql: async (client) =>
      (
        await client.query<{ name: string }>(
          "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        )
      ).rows.map((r) => r.name),
  });
}

/** Runs a script of several statements. */
export function execute(url: string, script: string): Promise<void> {
  return onDatabase(url, {
    sqlite: (db) => void db.exec(script),
    postgresql: async (client) => void (await client.query(script)),
  });
}

/**
 * A migrations folder for `migrate({ directory })`: the first `keep`
 * committed migrations (all by default), plus `extra` ones (name -> SQL).
 */
export function migrationsFolder(
  options: { keep?: number; extra?: Record<string, string> } = {},
  provider: TestDatabase = testDatabase(),
): string {
  const dir = mkdtempSync(join(tmpdir(), "migrations-"));
  for (const name of committedMigrations(provider).slice(0, options.keep)) {
    cpSync(join(ROOT, "prisma", provider, "migrations", name), join(dir, name), { recursive: true });
  }
  for (const [name, sql] of Object.entries(options.extra ?? {})) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

/** Advisory locks on Prisma's key held in `url`'s database, by any session. */
export async function heldMigrationLocks(url: string): Promise<number> {
  return onDatabase(url, {
    sqlite: () => 0,
    postgresql: async (client) =>
      (
        await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
            WHERE locktype = 'advisory' AND objid = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [MIGRATION_LOCK_KEY],
        )
      ).rows[0]!.n,
  });
}

/**
 * Holds Prisma's migration lock on `url`'s PostgreSQL database from a
 * session of this test (as `prisma migrate deploy` holds it) until `release`
 * (which may be called more than once).
 */
export async function holdPostgresMigrationLock(url: string): Promise<{ release: () => Promise<void> }> {
  const client = new Client({ connectionString: url, application_name: "lock-holder" });
  await client.connect();
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  // Ending the session releases the lock; a second call does nothing.
  let ended: Promise<void> | undefined;
  return { release: () => (ended ??= client.end()) };
}

/**
 * Holds the write lock of a SQLite file from a child process (BEGIN
 * IMMEDIATE, as another process's write would) until `release`, which
 * rolls it back and waits for the child to exit (and may be called again).
 */
export async function holdSqliteWriteLock(url: string): Promise<{ release: () => Promise<void> }> {
  const script = `
    const Sqlite = require("better-sqlite3");
    const db = new Sqlite(process.argv[1]);
    db.exec("BEGIN IMMEDIATE");
    process.stdout.write("locked\\n");
    // A line, or the end of stdin (the test process gone), ends the write.
    const release = () => { db.exec("ROLLBACK"); db.close(); process.exit(0); };
    process.stdin.once("data", release).once("end", release);
  `;
  const child = spawn(process.execPath, ["-e", script, sqliteFile(url)], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the lock holder exited with ${code} before locking`)));
  });
  let released: Promise<void> | undefined;
  return {
    release: () => {
      released ??= (async () => {
        child.stdin.end("release\n");
        await exited;
      })();
      return released;
    },
  };
}
