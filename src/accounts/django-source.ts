import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Client as PgClient } from "pg";

// A Django project's database, opened read-only: a SQLite file or a
// PostgreSQL URL. Only plain SELECTs go through it.

export type Row = Record<string, unknown>;

export interface DjangoSource {
  /** Where it is, without credentials. */
  description: string;
  hasTable(name: string): Promise<boolean>;
  /** Every row of a query without parameters (the table names are checked identifiers). */
  rows(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

export class SourceError extends Error {}

/** A table name as Django makes them; anything else is refused rather than quoted. */
export function checkTableName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name))
    throw new SourceError(`"${name}" is not a table name (letters, digits, _)`);
  return name;
}

export async function openDjangoSource(source: string): Promise<DjangoSource> {
  return /^postgres(ql)?:\/\//.test(source) ? openPostgres(source) : openSqlite(source);
}

function openSqlite(path: string): DjangoSource {
  const file = resolve(path.replace(/^file:/, ""));
  if (!existsSync(file)) throw new SourceError(`no such file: ${file}`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    // Opening is lazy about the format: read the schema now so "not a database" is said here.
    db.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (e) {
    throw new SourceError(`${file}: ${firstLine(e)}`);
  }
  return {
    description: `SQLite at ${file}`,
    async hasTable(name) {
      return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    },
    async rows(sql) {
      return db.prepare(sql).all() as Row[];
    },
    async close() {
      db.close();
    },
  };
}

async function openPostgres(url: string): Promise<DjangoSource> {
  let where: string;
  try {
    const u = new URL(url);
    where = `PostgreSQL at ${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    throw new SourceError("the PostgreSQL URL cannot be read");
  }
  // Loaded only for a PostgreSQL source, so every other manage command starts as fast as before.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- pg loads only for a PostgreSQL source
  const { Client } = require("pg") as typeof import("pg");
  const client: PgClient = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    // Nothing here writes; a read-only transaction makes sure, and gives one consistent snapshot.
    await client.query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new SourceError(`${where}: ${firstLine(e)}`);
  }
  return {
    description: where,
    async hasTable(name) {
      const res = await client.query(
        "SELECT 1 FROM information_schema.tables WHERE table_name = $1 AND table_schema = ANY (current_schemas(false))",
        [name],
      );
      return (res.rowCount ?? 0) > 0;
    },
    async rows(sql) {
      return (await client.query(sql)).rows as Row[];
    },
    async close() {
      await client.query("ROLLBACK").catch(() => undefined);
      await client.end();
    },
  };
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!.trim();
}
