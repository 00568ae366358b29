import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { Client } from "pg";

// Where each test's database comes from. global-setup migrates one template
// for the run's provider (TEST_DATABASE); every server gets a fresh copy:
// a copied file for SQLite, CREATE DATABASE ... TEMPLATE for PostgreSQL.

export type TestDatabase = "sqlite" | "postgresql";

export const TEST_ROOT_ENV = "TEST_ROOT";
/** Set by global-setup for a PostgreSQL run: the template's name (also the run's prefix). */
export const PG_TEMPLATE_ENV = "TEST_POSTGRES_TEMPLATE";
export const DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test";

/** The provider of this run: TEST_DATABASE=sqlite (default) or postgresql. */
export function testDatabase(): TestDatabase {
  const value = (process.env.TEST_DATABASE ?? "sqlite").trim().toLowerCase();
  if (value === "sqlite" || value === "") return "sqlite";
  if (value === "postgresql" || value === "postgres") return "postgresql";
  throw new Error(`TEST_DATABASE: "${value}" is neither sqlite nor postgresql`);
}

/** A PostgreSQL server the tests may create and drop databases on. */
export function testPostgresUrl(): string {
  return process.env.TEST_POSTGRES_URL?.trim() || DEFAULT_TEST_POSTGRES_URL;
}

export function testRoot(): string {
  const root = process.env[TEST_ROOT_ENV];
  if (!root) throw new Error("TEST_ROOT is not set: run the tests through jest (global-setup sets it)");
  return root;
}

export function sqliteTemplate(): string {
  return join(testRoot(), "template.sqlite3");
}

/** A fresh, migrated SQLite database file; returns its DATABASE_URL. */
export function freshSqliteUrl(): string {
  const dir = join(testRoot(), randomUUID());
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "db.sqlite3");
  copyFileSync(sqliteTemplate(), file);
  return `file:${file}`;
}

/** `base` with another database name. */
export function postgresUrlFor(database: string, base = testPostgresUrl()): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `run` on a connection to the server's maintenance database (the one TEST_POSTGRES_URL names). */
export async function onPostgres<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testPostgresUrl(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated PostgreSQL database, named after the run's template; returns its DATABASE_URL. */
export async function freshPostgresUrl(): Promise<string> {
  const template = process.env[PG_TEMPLATE_ENV];
  if (!template)
    throw new Error(`${PG_TEMPLATE_ENV} is not set: run the tests through jest with TEST_DATABASE=postgresql`);
  const name = `${template.replace(/_template$/, "")}_${randomBytes(6).toString("hex")}`;
  await onPostgres(async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (e) {
        // Another worker's CREATE DATABASE may hold the template for a moment.
        if (attempt >= 20 || !/being accessed by other users/.test(String(e))) throw e;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  });
  return postgresUrlFor(name);
}

/** A new database with no tables at all, for tests that migrate it themselves. */
export async function emptyPostgresUrl(): Promise<string> {
  const template = process.env[PG_TEMPLATE_ENV];
  if (!template)
    throw new Error(`${PG_TEMPLATE_ENV} is not set: run the tests through jest with TEST_DATABASE=postgresql`);
  const name = `${template.replace(/_template$/, "")}_${randomBytes(6).toString("hex")}_empty`;
  await onPostgres((client) => client.query(`CREATE DATABASE "${name}"`));
  return postgresUrlFor(name);
}

/** A database of this run's provider with nothing in it (for SQLite, a file not created yet). */
export async function emptyDatabaseUrl(): Promise<string> {
  if (testDatabase() === "postgresql") return emptyPostgresUrl();
  const dir = join(testRoot(), randomUUID());
  mkdirSync(dir, { recursive: true });
  return `file:${join(dir, "db.sqlite3")}`;
}

/** A fresh, migrated database of this run's provider; returns its DATABASE_URL. */
export async function freshDatabaseUrl(): Promise<string> {
  return testDatabase() === "postgresql" ? freshPostgresUrl() : freshSqliteUrl();
}

/**
 * The databases a bench run (npm run bench --db postgresql) named in its log
 * ("the bench's databases are bench_...*") that still exist: none once it cleaned up.
 */
export async function benchDatabasesLeft(lines: string[]): Promise<string[]> {
  const prefix = lines.map((l) => /the bench's databases are (bench_\w+)\*/.exec(l)?.[1]).find(Boolean);
  if (!prefix) throw new Error(`the bench did not name its databases:\n${lines.join("\n")}`);
  return onPostgres(async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [prefix],
    );
    return rows.map((r) => r.datname);
  });
}
