import { randomUUID } from "node:crypto";
import { Client, DatabaseError } from "pg";
import {
  MIGRATIONS_TABLE,
  MigrationError,
  MigrationLockTimeoutError,
  failedMigrationMessage,
  lockTimeoutMessage,
  notEmptyMessage,
  pendingMigrations,
  waitingMessage,
  type MigrateOptions,
  type MigrationFile,
  type MigrationRecord,
  type MigrationResult,
} from "./migration-history";

// PostgreSQL: every pending migration in one transaction (DDL is
// transactional here), under a transaction-level advisory lock. The lock
// ends with the transaction, so it also works through PgBouncer in
// transaction mode and is never left held by an idle server connection.

/**
 * Prisma Migrate's advisory lock key. `prisma migrate deploy` takes it as a
 * session lock: using the same key keeps an older deployment's CLI and this
 * runner from migrating the same database at once.
 */
export const MIGRATION_LOCK_KEY = 72707369;

const LOCK = `the migration lock (PostgreSQL advisory lock ${MIGRATION_LOCK_KEY})`;
/** PostgreSQL's lock_not_available, raised when lock_timeout expires. */
const LOCK_NOT_AVAILABLE = "55P03";
/** undefined_table */
const UNDEFINED_TABLE = "42P01";

const CONNECT_TIMEOUT_MS = 10_000;

const RECORDS = `SELECT migration_name, started_at, finished_at, rolled_back_at, logs FROM "${MIGRATIONS_TABLE}" ORDER BY started_at`;

// As Prisma's schema engine creates it, so `prisma migrate` reads it unchanged.
const CREATE_TABLE = `CREATE TABLE "${MIGRATIONS_TABLE}" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export async function migratePostgres(
  url: string,
  where: string,
  files: MigrationFile[],
  options: MigrateOptions,
): Promise<MigrationResult> {
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: "drf-token-graphql migrate",
  });
  // An error on an idle client (the server gone between queries) must not
  // crash the process: the query in flight, if any, rejects with it.
  client.on("error", () => undefined);
  await client.connect();
  try {
    // Nothing to do is the usual case on start: decided without a
    // transaction or the lock, so instances starting on an up-to-date
    // database never wait for each other.
    if (pendingMigrations(files, await records(client), where).length === 0) return { applied: [] };
    return await migrateLocked(client, where, files, options);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function migrateLocked(
  client: Client,
  where: string,
  files: MigrationFile[],
  options: MigrateOptions,
): Promise<MigrationResult> {
  const timeoutMs = options.lockTimeoutMs;
  await client.query("BEGIN");
  try {
    // Bounds the wait for the advisory lock and for every table lock the
    // migrations take (an ALTER TABLE waits for the queries in flight).
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
    await takeLock(client, where, options);

    // Another process may have migrated while this one waited.
    const exists = await client.query<{ exists: boolean }>("SELECT to_regclass($1) IS NOT NULL AS exists", [
      `"${MIGRATIONS_TABLE}"`,
    ]);
    if (!exists.rows[0]!.exists) {
      const tables = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE schemaname = current_schema()",
      );
      if (tables.rows[0]!.n > 0) throw new MigrationError(notEmptyMessage(where));
      await client.query(CREATE_TABLE);
    }
    const pending = pendingMigrations(files, await records(client), where);
    for (const migration of pending) await apply(client, migration);
    await client.query("COMMIT");
    return { applied: pending.map((m) => m.name) };
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

/** Takes the advisory lock at once, or says so and waits for it until lock_timeout. */
async function takeLock(client: Client, where: string, options: MigrateOptions): Promise<void> {
  const started = Date.now();
  const taken = await client.query<{ taken: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS taken", [
    MIGRATION_LOCK_KEY,
  ]);
  if (taken.rows[0]!.taken) return;
  const what = `${LOCK} on ${where}${await holder(client)}`;
  options.onWait?.(waitingMessage(what, options.lockTimeoutMs));
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
  } catch (e) {
    if (e instanceof DatabaseError && e.code === LOCK_NOT_AVAILABLE) {
      throw new MigrationLockTimeoutError(lockTimeoutMessage(what, Date.now() - started, options.lockTimeoutMs));
    }
    throw e;
  }
}

/** Who holds the lock, for the operator: the backend's pid and application. */
async function holder(client: Client): Promise<string> {
  const { rows } = await client.query<{ pid: number; application_name: string | null }>(
    `SELECT l.pid, a.application_name FROM pg_catalog.pg_locks l
       LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`,
    [MIGRATION_LOCK_KEY],
  );
  const row = rows[0];
  if (!row) return "";
  return ` (server process ${row.pid}${row.application_name ? `, application "${row.application_name}"` : ""})`;
}

async function records(client: Client): Promise<MigrationRecord[]> {
  try {
    return (await client.query<MigrationRecord>(RECORDS)).rows;
  } catch (e) {
    if (e instanceof DatabaseError && e.code === UNDEFINED_TABLE) return [];
    throw e;
  }
}

/** One migration, recorded as `prisma migrate deploy` records it: a row before, finished after. */
async function apply(client: Client, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  await client.query(
    `INSERT INTO "${MIGRATIONS_TABLE}" (id, checksum, started_at, migration_name) VALUES ($1, $2, $3, $4)`,
    [id, migration.checksum, new Date(), migration.name],
  );
  try {
    // The whole script in one simple-protocol query, as Prisma sends it.
    await client.query(migration.script);
  } catch (e) {
    if (e instanceof DatabaseError) {
      throw new MigrationError(failedMigrationMessage(migration, describe(e), lineOf(migration.script, e.position)));
    }
    throw e;
  }
  await client.query(
    `UPDATE "${MIGRATIONS_TABLE}" SET applied_steps_count = applied_steps_count + 1, finished_at = $2 WHERE id = $1`,
    [id, new Date()],
  );
}

function describe(e: DatabaseError): string {
  return [e.message, e.detail, e.hint && `hint: ${e.hint}`].filter(Boolean).join("; ");
}

/** The script's line at PostgreSQL's 1-based character position of the error. */
function lineOf(script: string, position: string | undefined): number | undefined {
  const at = Number(position);
  if (!Number.isInteger(at) || at < 1) return undefined;
  return [...script].slice(0, at - 1).filter((c) => c === "\n").length + 1;
}
