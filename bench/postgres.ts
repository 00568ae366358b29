import { Client } from "pg";
import { untilCleanedUp } from "./cleanup";

// The PostgreSQL server the bench works on, from the environment: the URL's
// database is only the maintenance database to connect to; the bench creates
// its own databases beside it (unique names, `bench_<run id>_<label>`) and
// drops them when it ends, fails or is interrupted.

export const DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test";

/** BENCH_POSTGRES_URL, else TEST_POSTGRES_URL (the tests' server), else the local default. */
export function postgresServerUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.BENCH_POSTGRES_URL?.trim() || env.TEST_POSTGRES_URL?.trim() || DEFAULT_POSTGRES_URL;
}

/** `server` with another database name (user, password, host, port and parameters kept). */
export function postgresUrlFor(database: string, server = postgresServerUrl()): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

/** host:port/database, never the password. */
export function describePostgres(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
}

/** A database name PostgreSQL takes unquoted: lower case, digits and underscores, at most 63 bytes. */
export function databaseName(runId: string, label: string): string {
  const name = `bench_${runId}_${label}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  if (name.length > 63) throw new Error(`bench: database name ${name} is longer than PostgreSQL's 63 bytes`);
  return name;
}

export async function onMaintenanceDatabase<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const server = postgresServerUrl();
  const client = new Client({ connectionString: server, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(
      `bench: no PostgreSQL at ${describePostgres(server)} (${e instanceof Error ? e.message : String(e)}); ` +
        "set BENCH_POSTGRES_URL (or TEST_POSTGRES_URL) to a server where the bench may create databases",
      { cause: e },
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * VACUUM ANALYZE a freshly seeded database, as autovacuum would have left a
 * database in service. A copy made with CREATE DATABASE ... TEMPLATE starts
 * with empty activity statistics, so autovacuum never visits what the seed
 * left behind: the dead row versions of every counter update (ours keeps the
 * list's total in a 16-row table that 10,000 inserts rewrote 10,000 times;
 * a page's scan of it took 0.45 ms instead of 0.05) and no statistics for
 * the planner. Run on both sides' templates, before their first copy.
 */
export async function vacuumAnalyze(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query("VACUUM (ANALYZE)");
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropDatabase(name: string): Promise<void> {
  // FORCE: a server the bench could not stop cleanly may still hold connections.
  await onMaintenanceDatabase((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/**
 * CREATE DATABASE (from `template` if given); returns its URL and a drop
 * that also runs if the bench is interrupted before it drops the database
 * itself. The drop is registered before the database exists, so no moment
 * leaves one behind.
 */
export async function createDatabase(
  name: string,
  template?: string,
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const drop = untilCleanedUp(`drop database ${name}`, () => dropDatabase(name));
  try {
    await onMaintenanceDatabase(async (c) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await c.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ""}`);
          return;
        } catch (e) {
          // A template is unusable for a moment after its last session ends (the server closes it asynchronously).
          if (!template || attempt >= 20 || !/being accessed by other users/.test(String(e))) throw e;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    });
  } catch (e) {
    await drop();
    throw e;
  }
  return { name, url: postgresUrlFor(name), drop };
}
