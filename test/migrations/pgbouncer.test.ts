import { Client } from "pg";
import { ensureBuilt } from "../support/build";
import { emptyPostgresUrl } from "../support/databases";
import { committedMigrations, heldMigrationLocks, history, holdPostgresMigrationLock } from "../support/migrations";
import { PGBOUNCER, startPgBouncer, withPgBouncer } from "../support/pgbouncer";
import { launchProcess, manage, stopCleanly, type LaunchedProcess } from "../support/processes";
import { describePostgres } from "../support/providers";
import { itWithTool } from "../support/system-tool";

// Migrations with PgBouncer in transaction mode in front of PostgreSQL, as a
// deployment that pools connections has it: through PgBouncer itself (one
// transaction, a transaction-level lock, so any server connection will do
// and none keeps the lock), or around it with DIRECT_DATABASE_URL.

jest.setTimeout(180_000);

const COMMITTED = committedMigrations("postgresql");
const WAITING = /"msg":"migrations: another process holds the migration lock.*; waiting up to 60 s/;
const SERVING = /Serving GraphQL at (http:\/\/[^\s]+)\/graphql/;
const itWithPgBouncer = itWithTool(PGBOUNCER, "pgbouncer");

beforeAll(ensureBuilt, 120_000);

async function queryThrough(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describePostgres("the PgBouncer harness", () => {
  itWithPgBouncer("pools in transaction mode, and SHUTDOWN through its console stops it", async () => {
    const bouncer = await startPgBouncer();
    try {
      const url = bouncer.through(await emptyPostgresUrl());
      expect(await queryThrough(url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
      const config = await bouncer.admin("SHOW CONFIG");
      expect(config.find((c) => c.key === "pool_mode")?.value).toBe("transaction");
      await bouncer.shutdown();
      await expect(queryThrough(url, "SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await bouncer.stop();
    }
  });
});

describePostgres("migrations and PgBouncer in transaction mode", () => {
  itWithPgBouncer(
    "through PgBouncer alone: two servers started together both serve, and no advisory lock is left held",
    () =>
      withPgBouncer(async (bouncer) => {
        const url = await emptyPostgresUrl();
        const lock = await holdPostgresMigrationLock(url);
        const servers: LaunchedProcess[] = [];
        try {
          for (let i = 0; i < 2; i++) {
            servers.push(launchProcess({ DATABASE_URL: bouncer.through(url), LOG_LEVEL: "info" }));
          }
          await Promise.all(servers.map((s) => s.waitFor(WAITING)));
          await lock.release();
          await Promise.all(servers.map((s) => s.waitFor(SERVING)));
          const outcomes = servers.map((s) => /"msg":"migrations: (applied|none to apply)"/.exec(s.output())?.[1]);
          expect(outcomes.sort()).toEqual(["applied", "none to apply"]);
          expect((await history(url)).map((r) => r.migration_name)).toEqual(COMMITTED);
          // PgBouncer keeps its server connections open and idle in the pool:
          // none of them holds the lock, which ended with each transaction.
          const pools = await bouncer.admin("SHOW POOLS");
          const pool = pools.find((p) => p.database === new URL(url).pathname.slice(1));
          expect(Number(pool?.sv_idle) + Number(pool?.sv_used)).toBeGreaterThan(0);
          expect(await heldMigrationLocks(url)).toBe(0);
        } finally {
          await lock.release();
          await stopCleanly(...servers);
        }
      }),
  );

  itWithPgBouncer(
    "with DIRECT_DATABASE_URL: npm start and manage migrate migrate around a paused PgBouncer, then serve through it",
    () =>
      withPgBouncer(async (bouncer) => {
        const url = await emptyPostgresUrl();
        const env = { DATABASE_URL: bouncer.through(url), DIRECT_DATABASE_URL: url, LOG_LEVEL: "info" };
        // Every query through PgBouncer now waits: only a direct connection can migrate.
        await bouncer.pause();
        let server: LaunchedProcess | undefined;
        try {
          server = launchProcess(env);
          await server.waitFor(/"msg":"migrations: applied"/);
          expect((await history(url)).map((r) => r.migration_name)).toEqual(COMMITTED);
          const again = await manage(["migrate"], env);
          expect(again).toEqual({ status: 0, output: "No migrations to apply.\n" });
          expect(server.output()).not.toMatch(SERVING);
          await bouncer.resume();
          const serving = await server.waitFor(SERVING);
          expect(server.output()).toContain(`Database: PostgreSQL at 127.0.0.1:${bouncer.port}/`);
          expect(serving[1]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
          expect(await heldMigrationLocks(url)).toBe(0);
        } finally {
          await bouncer.resume().catch(() => undefined);
          await stopCleanly(server);
        }
      }),
  );

  itWithPgBouncer("through PgBouncer, a migration lock held elsewhere still times out with the clear line", () =>
    withPgBouncer(async (bouncer) => {
      const url = await emptyPostgresUrl();
      const lock = await holdPostgresMigrationLock(url);
      try {
        const res = await manage(["migrate"], { DATABASE_URL: bouncer.through(url), MIGRATION_LOCK_TIMEOUT: "1s" });
        expect(res.status).toBe(1);
        expect(res.output.trim().split("\n").pop()).toMatch(
          /^Error: migrations: another process holds the migration lock \(PostgreSQL advisory lock 72707369\) on PostgreSQL at 127\.0\.0\.1:\d+\/\w+ \(server process \d+, application "lock-holder"\): gave up after waiting 1\.\d s/,
        );
      } finally {
        await lock.release();
      }
      // The transaction that waited was rolled back: its server connection went back to the pool with nothing held.
      expect(await heldMigrationLocks(url)).toBe(0);
      expect((await manage(["migrate"], { DATABASE_URL: bouncer.through(url) })).output).toBe("Migrations applied.\n");
    }),
  );
});
