import { ensureBuilt } from "../support/build";
import { emptyPostgresUrl } from "../support/databases";
import {
  committedMigrations,
  heldMigrationLocks,
  history,
  holdPostgresMigrationLock,
  tableNames,
} from "../support/migrations";
import { launchProcess, manage, startProcess, stopCleanly, type LaunchedProcess } from "../support/processes";
import { describePostgres } from "../support/providers";

// Several `npm start` at once on an empty PostgreSQL database, as a rollout
// behind a load balancer does it: every one ends up serving, one migrates and
// the others wait for it and find nothing to do. The test holds the migration
// lock itself until every process has said it waits, so each round's race
// really happens; then it lets them go together.

jest.setTimeout(180_000);

const COMMITTED = committedMigrations("postgresql");
const WAITING = /"msg":"migrations: another process holds the migration lock.*; waiting up to 60 s/;
const SERVING = /Serving GraphQL at (http:\/\/[^\s]+)\/graphql/;

/** Logged once by each process that started on the database. */
function outcome(p: LaunchedProcess): "applied" | "none" | "?" {
  const out = p.output();
  if (out.includes('"msg":"migrations: applied"')) return "applied";
  if (out.includes('"msg":"migrations: none to apply"')) return "none";
  return "?";
}

beforeAll(ensureBuilt, 120_000);

describePostgres("N servers started together on an empty PostgreSQL database", () => {
  it.each([
    [1, 2],
    [2, 2],
    [3, 2],
    [4, 3],
  ])("round %i: %i servers all serve; one migrated, the others waited for it", async (_round, count) => {
    const url = await emptyPostgresUrl();
    const lock = await holdPostgresMigrationLock(url);
    const servers: LaunchedProcess[] = [];
    try {
      for (let i = 0; i < count; i++) servers.push(launchProcess({ DATABASE_URL: url, LOG_LEVEL: "info" }));
      // Every one has found the database empty and is queued on the lock.
      await Promise.all(servers.map((s) => s.waitFor(WAITING)));
      await lock.release();
      await Promise.all(servers.map((s) => s.waitFor(SERVING)));

      expect(servers.map(outcome).sort()).toEqual(["applied", ...Array<string>(count - 1).fill("none")]);
      expect((await history(url)).map((r) => r.migration_name)).toEqual(COMMITTED);
      expect(await heldMigrationLocks(url)).toBe(0);
    } finally {
      await lock.release();
      await stopCleanly(...servers);
    }
  });
});

describePostgres("the migration lock held elsewhere", () => {
  it("beyond MIGRATION_LOCK_TIMEOUT: npm start exits 1 with one line saying who holds it and how long it waited", async () => {
    const url = await emptyPostgresUrl();
    const lock = await holdPostgresMigrationLock(url);
    try {
      const server = launchProcess({ DATABASE_URL: url, MIGRATION_LOCK_TIMEOUT: "1s" });
      expect(await server.exited).toBe(1);
      const lines = server.output().trim().split("\n");
      expect(lines[lines.length - 1]).toMatch(
        /^Cannot start: migrations: another process holds the migration lock \(PostgreSQL advisory lock 72707369\) on PostgreSQL at 127\.0\.0\.1:5432\/\w+ \(server process \d+, application "lock-holder"\): gave up after waiting 1\.\d s \(MIGRATION_LOCK_TIMEOUT=1 s\); nothing was applied$/,
      );
      const migrate = await manage(["migrate"], { DATABASE_URL: url, MIGRATION_LOCK_TIMEOUT: "1s" });
      expect(migrate.status).toBe(1);
      expect(migrate.output.trim().split("\n").pop()).toMatch(
        /^Error: migrations: another process holds the migration lock .*: gave up after waiting 1\.\d s/,
      );
      expect(await tableNames(url)).toEqual([]);
    } finally {
      await lock.release();
    }
  });

  it("released within the bound: npm start waits, then migrates and serves", async () => {
    const url = await emptyPostgresUrl();
    const lock = await holdPostgresMigrationLock(url);
    const server = launchProcess({ DATABASE_URL: url, LOG_LEVEL: "info" });
    try {
      await server.waitFor(WAITING);
      expect(server.output()).not.toMatch(SERVING);
      await lock.release();
      await server.waitFor(SERVING);
      expect(outcome(server)).toBe("applied");
      expect((await history(url)).map((r) => r.migration_name)).toEqual(COMMITTED);
    } finally {
      await lock.release();
      await stopCleanly(server);
    }
  });

  it("only when there is something to apply: an up-to-date database starts without waiting for it", async () => {
    const url = await emptyPostgresUrl();
    expect((await manage(["migrate"], { DATABASE_URL: url })).status).toBe(0);
    const lock = await holdPostgresMigrationLock(url);
    try {
      const server = await startProcess({ DATABASE_URL: url, LOG_LEVEL: "info", MIGRATION_LOCK_TIMEOUT: "1s" });
      expect(outcome(server)).toBe("none");
      await stopCleanly(server);
    } finally {
      await lock.release();
    }
  });
});
