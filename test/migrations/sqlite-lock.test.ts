import { databaseFromUrl } from "../../src/db/database-url";
import { DEFAULT_LOCK_TIMEOUT_MS, migrate } from "../../src/db/migrate";
import { ensureBuilt } from "../support/build";
import { emptyDatabaseUrl } from "../support/databases";
import { committedMigrations, history, holdSqliteWriteLock, migrationsFolder } from "../support/migrations";
import { launchProcess, manage, stopCleanly } from "../support/processes";
import { describeSqlite } from "../support/providers";

// SQLite's migrations take the database's write lock (BEGIN IMMEDIATE) for
// their one transaction. While another process writes, `npm start` on an
// outdated database waits for it, within MIGRATION_LOCK_TIMEOUT, and says so.

jest.setTimeout(120_000);

const COMMITTED = committedMigrations("sqlite");
const SERVING = /Serving GraphQL at (http:\/\/[^\s]+)\/graphql/;

/** A SQLite file with only the first migration applied: starting on it has work to do. */
async function outdated(): Promise<string> {
  const url = await emptyDatabaseUrl();
  await migrate(databaseFromUrl(url), {
    lockTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS,
    directory: migrationsFolder({ keep: 1 }),
  });
  return url;
}

beforeAll(ensureBuilt, 120_000);

describeSqlite("the write lock held by another process", () => {
  it("beyond MIGRATION_LOCK_TIMEOUT: npm start and manage migrate exit 1 with one line, nothing applied", async () => {
    const url = await outdated();
    const lock = await holdSqliteWriteLock(url);
    try {
      const server = launchProcess({ DATABASE_URL: url, MIGRATION_LOCK_TIMEOUT: "1s" });
      expect(await server.exited).toBe(1);
      const lines = server.output().trim().split("\n");
      expect(lines[lines.length - 1]).toMatch(
        /^Cannot start: migrations: another process holds the write lock of SQLite at \/.*db\.sqlite3: gave up after waiting 1\.\d s \(MIGRATION_LOCK_TIMEOUT=1 s\); nothing was applied$/,
      );
      const res = await manage(["migrate"], { DATABASE_URL: url, MIGRATION_LOCK_TIMEOUT: "1s" });
      expect(res.status).toBe(1);
      expect(res.output.trim().split("\n").pop()).toMatch(
        /^Error: migrations: another process holds the write lock of SQLite at .*: gave up after waiting 1\.\d s/,
      );
    } finally {
      await lock.release();
    }
    expect((await history(url)).map((r) => r.migration_name)).toEqual(COMMITTED.slice(0, 1));
  });

  it("released within the bound: npm start waits for it, then migrates and serves", async () => {
    const url = await outdated();
    const lock = await holdSqliteWriteLock(url);
    const server = launchProcess({ DATABASE_URL: url, LOG_LEVEL: "info" });
    try {
      await server.waitFor(
        /"msg":"migrations: another process holds the write lock of SQLite at .*; waiting up to 60 s/,
      );
      expect(server.output()).not.toMatch(SERVING);
      await lock.release();
      await server.waitFor(SERVING);
      // pino writes asynchronously: its line may follow the start-up lines.
      await server.waitFor(/"msg":"migrations: applied"/);
      expect((await history(url)).map((r) => r.migration_name)).toEqual(COMMITTED);
    } finally {
      await lock.release();
      await stopCleanly(server);
    }
  });
});
