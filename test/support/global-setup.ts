import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { databaseFromUrl } from "../../src/db/database-url";
import { migrate } from "../../src/db/migrate";
import { PG_TEMPLATE_ENV, TEST_ROOT_ENV, onPostgres, postgresUrlFor, testDatabase, testPostgresUrl } from "./databases";

/** Databases of a run are named dtg_test_<unix seconds>_<random>[_...]. */
const RUN_PREFIX = "dtg_test_";
/** Leftovers of runs that died before their teardown are dropped after this long. */
const STALE_AFTER_S = 3 * 3600;

export default async function globalSetup(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "drf-token-graphql-tests-"));
  process.env[TEST_ROOT_ENV] = root;
  // The SQLite template exists in both runs: some tests need a SQLite file whatever the run.
  const sqlite = migrate(databaseFromUrl(`file:${join(root, "template.sqlite3")}`));
  if (testDatabase() === "sqlite") {
    await sqlite;
    console.log(`\n[tests] database: SQLite (a migrated copy of one template per server, under ${root})`);
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const template = `${RUN_PREFIX}${now}_${randomBytes(3).toString("hex")}_template`;
  await onPostgres(async (client) => {
    await dropStale(client, now);
    await client.query(`CREATE DATABASE "${template}"`);
  });
  process.env[PG_TEMPLATE_ENV] = template;
  await Promise.all([sqlite, migrate(databaseFromUrl(postgresUrlFor(template)))]);
  // Host and port only: the URL may hold a password.
  const { host } = new URL(testPostgresUrl());
  console.log(`\n[tests] database: PostgreSQL at ${host} (template ${template}; a fresh database per server)`);
}

async function dropStale(client: import("pg").Client, now: number): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
    [RUN_PREFIX],
  );
  for (const { datname } of rows) {
    const started = Number(/^dtg_test_(\d+)_/.exec(datname)?.[1]);
    if (Number.isFinite(started) && now - started > STALE_AFTER_S) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
    }
  }
}
