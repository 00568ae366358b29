import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { databaseFromUrl } from "../../src/db/database-url";
import { DEFAULT_LOCK_TIMEOUT_MS, migrate, MigrationError } from "../../src/db/migrate";
import { ensureBuilt, ROOT, runNode } from "../support/build";
import { emptyDatabaseUrl, testDatabase } from "../support/databases";
import {
  committedMigrations,
  execute,
  history,
  migrationsFolder,
  onDatabase,
  tableNames,
  type HistoryRow,
} from "../support/migrations";
import { startProcess, stopCleanly } from "../support/processes";
import { describeSqlite, itSqlite } from "../support/providers";

// The in-process runner against real databases: what it applies, how it
// records it (exactly as `prisma migrate deploy` did, so Prisma's own
// commands and databases the CLI migrated agree with it), and what a failure
// leaves behind (nothing).

const provider = testDatabase();
const COMMITTED = committedMigrations();
const PRISMA_CLI = "node_modules/prisma/build/index.js";
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

jest.setTimeout(120_000);

const run = (url: string, directory?: string) =>
  migrate(databaseFromUrl(url), { lockTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS, directory });

/** Prisma's checksum of a committed migration, computed here from the file's bytes. */
function fileChecksum(name: string): string {
  return createHash("sha256")
    .update(readFileSync(join(ROOT, "prisma", provider, "migrations", name, "migration.sql")))
    .digest("hex");
}

/** The migrations table's definition, to compare with the one Prisma's CLI creates. */
function tableDefinition(url: string): Promise<unknown> {
  return onDatabase(url, {
    sqlite: (db) => db.prepare("SELECT sql FROM sqlite_master WHERE name = '_prisma_migrations'").get(),
    postgresql: async (client) => ({
      columns: (
        await client.query(
          `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
             FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
        )
      ).rows,
      constraints: (
        await client.query(
          `SELECT conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint
            WHERE conrelid = '"_prisma_migrations"'::regclass ORDER BY conname`,
        )
      ).rows,
    }),
  });
}

/** A database as `prisma migrate deploy` of Prisma 6.19 left it: its CLI on SQLite, its output kept for PostgreSQL. */
async function migratedByPrismaCli(): Promise<string> {
  const url = await emptyDatabaseUrl();
  if (provider === "postgresql") {
    await execute(url, readFileSync(join(__dirname, "fixtures", "prisma-cli-postgresql.sql"), "utf8"));
  } else {
    const res = await runNode(PRISMA_CLI, ["migrate", "deploy"], {
      env: { DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      timeoutMs: 120_000,
    });
    expect(res.stdout).toMatch(/All migrations have been successfully applied/);
  }
  return url;
}

describe("an empty database", () => {
  let url: string;
  let applied: string[];
  let rows: HistoryRow[];

  beforeAll(async () => {
    url = await emptyDatabaseUrl();
    ({ applied } = await run(url));
    rows = await history(url);
  });

  it("gets every committed migration, in name order", () => {
    expect(applied).toEqual(COMMITTED);
    expect(rows.map((r) => r.migration_name)).toEqual(COMMITTED);
  });

  it("records each as prisma migrate deploy does: a v4 id, Prisma's checksum, finished, one step, no logs", () => {
    for (const row of rows) {
      expect(row.id).toMatch(UUID_V4);
      expect(row.checksum).toBe(fileChecksum(row.migration_name));
      expect(row).toMatchObject({ logs: null, rolled_back_at: null, applied_steps_count: 1 });
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    }
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.started_at.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.finished_at!.getTime());
    }
  });

  it("has nothing left to apply the second time, and its history is unchanged", async () => {
    expect(await run(url)).toEqual({ applied: [] });
    expect(await history(url)).toEqual(rows);
  });
});

describe("a database the Prisma CLI migrated", () => {
  let cli: string;
  let cliRows: HistoryRow[];

  beforeAll(async () => {
    cli = await migratedByPrismaCli();
    cliRows = await history(cli);
  }, 180_000);

  it("is recognised: nothing to apply, the CLI's rows untouched", async () => {
    expect(cliRows.length).toBeGreaterThan(0);
    expect(await run(cli)).toEqual({
      applied: COMMITTED.filter((name) => !cliRows.some((r) => r.migration_name === name)),
    });
    expect((await history(cli)).slice(0, cliRows.length)).toEqual(cliRows);
  });

  it("has the checksums and the table definition the runner writes", async () => {
    const ours = await emptyDatabaseUrl();
    await run(ours);
    const checksums = new Map((await history(ours)).map((r) => [r.migration_name, r.checksum]));
    for (const row of cliRows) expect(checksums.get(row.migration_name)).toBe(row.checksum);
    expect(await tableDefinition(ours)).toEqual(await tableDefinition(cli));
  });

  it("gets exactly the migrations added since, recorded after the CLI's", async () => {
    const directory = migrationsFolder({ extra: { "29990101000000_extra": 'CREATE TABLE "Extra" ("id" INTEGER);\n' } });
    const before = await history(cli);
    expect(await run(cli, directory)).toEqual({ applied: ["29990101000000_extra"] });
    const after = await history(cli);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((r) => r.migration_name)).toEqual(["29990101000000_extra"]);
    expect(await tableNames(cli)).toContain("Extra");
  });
});

// The CLI connects to SQLite only (prisma.config.ts); on PostgreSQL the same
// check was made by hand and the fixture above stands for the CLI's output.
itSqlite(
  "prisma migrate status says a database the runner migrated is up to date",
  async () => {
    const url = await emptyDatabaseUrl();
    await run(url);
    const res = await runNode(PRISMA_CLI, ["migrate", "status"], {
      env: { DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      timeoutMs: 120_000,
    });
    expect(res.stdout).toContain(`${COMMITTED.length} migrations found`);
    expect(res.stdout).toContain("Database schema is up to date!");
    expect(res.code).toBe(0);
  },
  180_000,
);

describe("an outdated database", () => {
  it("gets the migrations it lacks, in-process", async () => {
    const url = await emptyDatabaseUrl();
    expect(await run(url, migrationsFolder({ keep: 1 }))).toEqual({ applied: COMMITTED.slice(0, 1) });
    expect(await run(url)).toEqual({ applied: COMMITTED.slice(1) });
    expect((await history(url)).map((r) => r.migration_name)).toEqual(COMMITTED);
  });

  it("is brought up to date by npm start before it serves", async () => {
    await ensureBuilt();
    const url = await emptyDatabaseUrl();
    await run(url, migrationsFolder({ keep: 1 }));
    const server = await startProcess({ DATABASE_URL: url, LOG_LEVEL: "info" });
    try {
      const line = server
        .output()
        .split("\n")
        .find((l) => l.includes('"msg":"migrations: applied"'));
      expect(JSON.parse(line!)).toMatchObject({ migrations: COMMITTED.slice(1) });
      expect((await history(url)).map((r) => r.migration_name)).toEqual(COMMITTED);
    } finally {
      await stopCleanly(server);
    }
  });
});

describe("a migration that fails", () => {
  const BAD = "29990102000000_bad";
  let url: string;
  let error: unknown;
  let before: { rows: HistoryRow[]; tables: string[] };

  beforeAll(async () => {
    url = await emptyDatabaseUrl();
    await run(url, migrationsFolder({ keep: 1 }));
    before = { rows: await history(url), tables: await tableNames(url) };
    const directory = migrationsFolder({
      extra: {
        "29990101000000_good": 'CREATE TABLE "Good" ("id" INTEGER);\n',
        [BAD]: '-- a statement that cannot work\nCREATE TABLE "Fine" ("id" INTEGER);\nSELECT * FROM "NoSuchTable";\n',
      },
    });
    error = await run(url, directory).catch((e: unknown) => e);
  });

  it("rejects with one line: the migration, the database's own words, where", () => {
    expect(error).toBeInstanceOf(MigrationError);
    const message = (error as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toMatch(new RegExp(`^migration ${BAD} failed: `));
    expect(message).toContain(provider === "postgresql" ? 'relation "NoSuchTable" does not exist' : "no such table");
    // PostgreSQL says where in the script; SQLite does not.
    if (provider === "postgresql") expect(message).toContain(`(line 3 of `);
    expect(message).toContain("nothing was applied");
  });

  it("leaves nothing half-applied: not the earlier pending migrations, not its own first statements", async () => {
    expect(await history(url)).toEqual(before.rows);
    expect(await tableNames(url)).toEqual(before.tables);
  });
});

describe("a history the runner refuses to go past", () => {
  it("a migration the CLI recorded as failed stops everything until it is marked rolled back", async () => {
    const url = await emptyDatabaseUrl();
    await run(url, migrationsFolder({ keep: 1 }));
    const last = COMMITTED[COMMITTED.length - 1]!;
    // As Prisma's driver adapters write timestamps (RFC 3339, UTC), after the first migration's.
    const started = `'${new Date().toISOString().replace("Z", "+00:00")}'`;
    await execute(
      url,
      `INSERT INTO "_prisma_migrations" (id, checksum, started_at, migration_name, logs, applied_steps_count)
       VALUES ('00000000-0000-4000-8000-000000000000', 'x', ${started}, '${last}', 'Database error: boom', 0)`,
    );
    const error = (await run(url).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toMatch(
      new RegExp(`^migration ${last} failed earlier \\(started .*: Database error: boom\\)`),
    );
    expect(error.message).toContain(`prisma migrate resolve --rolled-back ${last}`);
    expect((await history(url)).map((r) => r.migration_name)).toEqual([COMMITTED[0], last]);

    // What `prisma migrate resolve --rolled-back` does, then the migration is applied anew.
    await execute(
      url,
      `UPDATE "_prisma_migrations" SET rolled_back_at = ${started} WHERE migration_name = '${last}' AND finished_at IS NULL`,
    );
    expect(await run(url)).toEqual({ applied: COMMITTED.slice(1) });
  });

  it("a database with tables but no history is not migrated", async () => {
    const url = await emptyDatabaseUrl();
    await execute(url, 'CREATE TABLE "Someone" ("id" INTEGER)');
    const error = (await run(url).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toMatch(/has tables but no _prisma_migrations table/);
    expect(await tableNames(url)).toEqual(["Someone"]);
  });
});

// Prisma's SQLite migrations redefine a table to change it: CREATE new_X,
// copy, DROP X, rename. Inside the runner's one transaction SQLite ignores
// the script's `PRAGMA foreign_keys=OFF`, so the runner turns them off itself.
describeSqlite("a SQLite table redefinition", () => {
  const REDEFINE = readFileSync(join(__dirname, "fixtures", "sqlite-redefine-user.sql"), "utf8");

  async function withUserAndKey(): Promise<string> {
    const url = await emptyDatabaseUrl();
    await run(url);
    await execute(
      url,
      `INSERT INTO "User" (id, username, password) VALUES (1, 'amit', 'x');
       INSERT INTO "Token" (digest, prefix, name, "userId") VALUES ('d', 'p', 'login', 1);`,
    );
    return url;
  }

  const count = (url: string, table: string) =>
    onDatabase(url, {
      sqlite: (db) => (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n,
      postgresql: () => Promise.reject(new Error("SQLite only")),
    });

  it("keeps the rows that reference the table (its DROP does not cascade)", async () => {
    const url = await withUserAndKey();
    const directory = migrationsFolder({ extra: { "29990101000000_user_email_default": REDEFINE } });
    expect(await run(url, directory)).toEqual({ applied: ["29990101000000_user_email_default"] });
    expect([await count(url, "User"), await count(url, "Token")]).toEqual([1, 1]);
    const email = await onDatabase(url, {
      sqlite: (db) => db.prepare("SELECT dflt_value FROM pragma_table_info('User') WHERE name = 'email'").get(),
      postgresql: () => Promise.reject(new Error("SQLite only")),
    });
    expect(email).toEqual({ dflt_value: "'none'" });
  });

  it("refuses a migration that leaves a key pointing nowhere, and undoes it", async () => {
    const url = await withUserAndKey();
    const before = await history(url);
    const directory = migrationsFolder({ extra: { "29990101000000_orphans": 'DELETE FROM "User";\n' } });
    const error = (await run(url, directory).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toBe(
      "migrations 29990101000000_orphans left 1 row(s) whose foreign key points nowhere (first: Token -> User); nothing was applied",
    );
    expect([await count(url, "User"), await count(url, "Token")]).toEqual([1, 1]);
    expect(await history(url)).toEqual(before);
  });
});
