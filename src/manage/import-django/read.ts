import Database from "better-sqlite3";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Client as PgClient } from "pg";

// The Django database, read only: a SQLite file or a PostgreSQL URL. Every
// read of one import runs inside one read transaction, so a source that
// Django keeps writing meanwhile gives one consistent snapshot (users and
// their keys as they were at one instant), never a torn one. Rows come in
// pages, so memory stays bounded however large the source.

export type Row = Record<string, unknown>;

export interface DjangoSource {
  /** Where it is, without credentials. */
  description: string;
  hasTable(name: string): Promise<boolean>;
  columns(table: string): Promise<Set<string>>;
  /** The rows of one query; `?` marks a parameter (table names are checked identifiers). */
  rows(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Ends the read transaction and the connection. */
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
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new SourceError(`no such file: ${file}`);
  // Opening a FIFO waits for a writer that may never come; a directory or a
  // device is no database either. Refused before anything opens it.
  if (!stat.isFile()) throw new SourceError(`${file} is not a regular file (${kindOf(stat)})`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    // The first read after BEGIN fixes the snapshot every later page reads
    // (WAL: Django keeps writing, unseen here; rollback journal: Django's
    // writes wait for this transaction, as for any reader). It also makes
    // "not a database" show here rather than at the first page.
    db.exec("BEGIN");
    db.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (e) {
    throw new SourceError(`${file}: ${firstLine(e)}`);
  }
  return {
    description: `SQLite at ${file}`,
    async hasTable(name) {
      return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    },
    async columns(table) {
      const info = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[];
      return new Set(info.map((c) => c.name));
    },
    async rows(sql, params = []) {
      return db.prepare(sql).all(...params) as Row[];
    },
    async close() {
      if (db.inTransaction) db.exec("ROLLBACK");
      db.close();
    },
  };
}

function kindOf(stat: import("node:fs").Stats): string {
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isDirectory()) return "a directory";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  return "not a file";
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
    await client.query("SELECT 1");
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
    async columns(table) {
      const res = await client.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_schema = ANY (current_schemas(false))",
        [table],
      );
      return new Set(res.rows.map((r) => r.column_name));
    },
    async rows(sql, params = []) {
      let n = 0;
      return (
        await client.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows as Row[];
    },
    async close() {
      await client.query("ROLLBACK").catch(() => undefined);
      await client.end();
    },
  };
}

/** An error as one line: its first non-blank one. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? "unknown error"
  );
}

/** Django's tables, as the import reads them. */
export const USERS = "auth_user";
export const KEYS = "authtoken_token";

/** How many users, for the progress line. */
export async function countUsers(db: DjangoSource): Promise<number> {
  return Number((await db.rows(`SELECT count(*) AS n FROM ${USERS}`))[0]!.n);
}

/**
 * What appears more than once in the source: the target's unique indexes
 * would refuse the second copy. Found up front, so the dry run and the real
 * run refuse the same rows whatever order they come in. Only the repeated
 * values are held, not the tables.
 */
export async function sourceDuplicates(db: DjangoSource, studentsTable: string | null) {
  const usernames = new Set(
    (await db.rows(`SELECT username FROM ${USERS} GROUP BY username HAVING count(*) > 1`)).map((r) =>
      String(r.username),
    ),
  );
  const keys = new Map<string, { rows: number; users: number }>();
  for (const r of await db.rows(
    `SELECT "key", count(*) AS n, count(DISTINCT user_id) AS users FROM ${KEYS} GROUP BY "key" HAVING count(*) > 1`,
  ))
    keys.set(String(r.key), { rows: Number(r.n), users: Number(r.users) });
  const rolls = new Set<number>();
  if (studentsTable !== null) {
    for (const r of await db.rows(`SELECT roll FROM "${studentsTable}" GROUP BY roll HAVING count(*) > 1`))
      rolls.add(Number(r.roll));
  }
  return { usernames, keys, rolls };
}

export type SourceDuplicates = Awaited<ReturnType<typeof sourceDuplicates>>;

/**
 * Users by ascending id, `size` at a time, each page with the keys of its id
 * range (so a key whose user is gone still comes, once). Pages are keyed on
 * the id, not an offset: each costs the same however deep.
 */
export async function* userPages(db: DjangoSource, size: number): AsyncGenerator<{ users: Row[]; keys: Row[] }> {
  let after: number | null = null;
  for (;;) {
    const users = await db.rows(
      `SELECT id, username, email, password, is_staff, is_superuser, is_active, date_joined, last_login FROM ${USERS}` +
        (after === null ? "" : " WHERE id > ?") +
        " ORDER BY id LIMIT ?",
      after === null ? [size] : [after, size],
    );
    const last = users.length === size ? Number(users[users.length - 1]!.id) : null;
    const range = [after === null ? null : "user_id > ?", last === null ? null : "user_id <= ?"].filter(Boolean);
    const keys = await db.rows(
      `SELECT "key", user_id, created FROM ${KEYS}` +
        (range.length > 0 ? ` WHERE ${range.join(" AND ")}` : "") +
        ` ORDER BY user_id, created, "key"`,
      [after, last].filter((v) => v !== null),
    );
    if (users.length > 0 || keys.length > 0) yield { users, keys };
    if (last === null) return;
    after = last;
  }
}

/** The students' table by roll, `size` at a time (offsets: this table is small, and the snapshot holds still). */
export async function* studentPages(db: DjangoSource, table: string, size: number): AsyncGenerator<Row[]> {
  const tieBreak = (await db.columns(table)).has("id") ? ", id" : "";
  for (let offset = 0; ; offset += size) {
    const rows = await db.rows(`SELECT * FROM "${table}" ORDER BY roll${tieBreak} LIMIT ? OFFSET ?`, [size, offset]);
    if (rows.length > 0) yield rows;
    if (rows.length < size) return;
  }
}
