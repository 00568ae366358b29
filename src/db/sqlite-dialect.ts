import Sqlite from "better-sqlite3";
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type CompiledQuery,
} from "kysely";
import { retryWhileBusy } from "./lock-policy";

// Kysely on one better-sqlite3 connection per process, through Kysely's
// documented Dialect and Driver interfaces. What this driver adds to
// Kysely's own SqliteDialect is the process's lock policy (lock-policy.ts):
//
// - SQLite never waits for a lock itself (busy timeout 0: a wait inside
//   SQLite would block the event loop). A statement that finds the file
//   locked by another process is tried again later, up to a bound.
// - A transaction starts with BEGIN IMMEDIATE, so it holds the write lock
//   from its first statement: it can only find the file locked at its start,
//   where trying again is safe, never halfway through.
// - The connection has one transaction at a time. While one is open (it may
//   be waiting for the event loop between statements), other transactions
//   queue, and statements outside it wait for it to end rather than run
//   inside it.
//
// It also binds Dates and booleans (better-sqlite3 takes neither), decodes
// DATETIME and BOOLEAN columns from their declared types, and keeps each
// statement text prepared once.

export interface SqliteOptions {
  file: string;
  /** DATABASE_TIMEOUT, in ms: how long a statement may wait for another process's write lock. */
  lockTimeoutMs: number;
  /** Told of every statement once it ran (statement counts, metrics). */
  onStatement?: (sql: string, ms: number) => void;
}

export class SqliteDialect implements Dialect {
  constructor(private readonly options: SqliteOptions) {}

  createDriver(): Driver {
    return new SqliteDriver(this.options);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/** How a column's declared type is read back. */
type Decode = ((value: unknown) => unknown) | null;

const toDate = (value: unknown) => (value === null ? null : new Date(value as string | number));
const toBoolean = (value: unknown) => (value === null ? null : value === 1 || value === 1n || value === true);

function decoderFor(declared: string | null): Decode {
  switch (declared?.toUpperCase()) {
    case "DATETIME":
      return toDate;
    case "BOOLEAN":
      return toBoolean;
    default:
      return null;
  }
}

/**
 * A Date as Prisma's SQLite adapter writes it (ISO 8601 in UTC, `+00:00`),
 * so rows written by either compare and sort alike.
 */
function bind(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace("Z", "+00:00");
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

interface Prepared {
  statement: Sqlite.Statement;
  /** A reader's result columns, in order, each with its declared type's decoder; null for a writer. */
  columns: { name: string; decode: Decode }[] | null;
}

/**
 * A reader's rows as objects, built here from the arrays `raw` mode returns.
 * better-sqlite3 builds each row object through V8's C++ API, one property
 * (and one hidden-class transition, one internalised name) at a time; the
 * same loop in JavaScript costs a fraction of that (BENCHMARKS.md). As with
 * better-sqlite3's own objects, a later column of the same name wins.
 */
function toObjects(rows: unknown[][], columns: { name: string; decode: Decode }[]): Record<string, unknown>[] {
  return rows.map((row) => {
    const object: Record<string, unknown> = {};
    for (let c = 0; c < columns.length; c++) {
      const { name, decode } = columns[c]!;
      object[name] = decode ? decode(row[c]) : row[c];
    }
    return object;
  });
}

/** Statement texts kept prepared; the request path has a few dozen. */
const STATEMENT_CACHE_SIZE = 500;

class SqliteConnection implements DatabaseConnection {
  /** True between BEGIN IMMEDIATE and COMMIT/ROLLBACK on this connection. */
  inTransaction = false;

  constructor(private readonly driver: SqliteDriver) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.inTransaction) return this.driver.run<R>(query);
    return this.driver.outside(() => this.driver.run<R>(query));
  }

  // eslint-disable-next-line require-yield -- nothing here streams; Kysely's interface asks for it
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("SQLite: streaming is not used in this project");
  }
}

class SqliteDriver implements Driver {
  private db: Sqlite.Database | null = null;
  private readonly prepared = new Map<string, Prepared>();
  /** Ends when the open transaction ends; null when none is open. */
  private open: Promise<void> | null = null;
  private endOpen: (() => void) | null = null;

  constructor(private readonly options: SqliteOptions) {}

  async init(): Promise<void> {
    const db = new Sqlite(this.options.file, { timeout: 0 });
    // WAL: readers never wait for a writer, and a writer only for another writer.
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    // WAL is safe against corruption with NORMAL; a power cut may lose the last commits.
    db.pragma("synchronous = NORMAL");
    this.db = db;
  }

  private connection(): Sqlite.Database {
    if (!this.db) throw new Error("SQLite: the connection is closed");
    return this.db;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SqliteConnection(this);
  }

  async releaseConnection(): Promise<void> {}

  /**
   * Runs a statement outside any transaction: after the open transaction, if
   * any, and again while another process holds the write lock, up to the bound.
   */
  async outside<T>(run: () => T): Promise<T> {
    // Checked and run in one synchronous step: no transaction can open in between.
    return retryWhileBusy(() => (this.open ? this.afterOpen(run) : run()), this.options.lockTimeoutMs);
  }

  /**
   * Runs `run` once no transaction is open. The check and `run` happen in one
   * synchronous step after the last wait: a helper that only waited would
   * return a turn of microtasks later, when another waiter may already have
   * opened the next transaction.
   */
  private async afterOpen<T>(run: () => T): Promise<T> {
    while (this.open) await this.open;
    return run();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as SqliteConnection;
    // BEGIN IMMEDIATE and marking the transaction open in the same synchronous step as the check.
    await retryWhileBusy(
      () =>
        this.afterOpen(() => {
          this.connection().exec("BEGIN IMMEDIATE");
          this.open = new Promise((resolve) => (this.endOpen = resolve));
        }),
      this.options.lockTimeoutMs,
    );
    c.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.end(connection as SqliteConnection, "COMMIT");
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.end(connection as SqliteConnection, "ROLLBACK");
  }

  private end(connection: SqliteConnection, statement: "COMMIT" | "ROLLBACK"): void {
    try {
      // A failed statement may already have rolled SQLite's transaction back.
      if (statement === "COMMIT" || this.connection().inTransaction) this.connection().exec(statement);
    } finally {
      if (statement === "ROLLBACK" || !this.connection().inTransaction) {
        connection.inTransaction = false;
        const end = this.endOpen;
        this.open = null;
        this.endOpen = null;
        end?.();
      }
    }
  }

  run<R>(query: CompiledQuery): QueryResult<R> {
    const started = this.options.onStatement ? performance.now() : 0;
    const { statement, columns } = this.prepare(query.sql);
    const parameters = query.parameters.map(bind);
    let result: QueryResult<R>;
    if (columns) {
      result = { rows: toObjects(statement.all(parameters) as unknown[][], columns) as R[] };
    } else {
      const { changes, lastInsertRowid } = statement.run(parameters);
      result = { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    }
    this.options.onStatement?.(query.sql, performance.now() - started);
    return result;
  }

  private prepare(sql: string): Prepared {
    let prepared = this.prepared.get(sql);
    if (prepared) {
      // Most recently used last: the first key is the one to evict.
      this.prepared.delete(sql);
      this.prepared.set(sql, prepared);
      return prepared;
    }
    const statement = this.connection().prepare(sql);
    let columns: Prepared["columns"] = null;
    if (statement.reader) {
      columns = statement.columns().map((c) => ({ name: c.name, decode: decoderFor(c.type) }));
      statement.raw(true);
    }
    prepared = { statement, columns };
    this.prepared.set(sql, prepared);
    if (this.prepared.size > STATEMENT_CACHE_SIZE) this.prepared.delete(this.prepared.keys().next().value!);
    return prepared;
  }

  async destroy(): Promise<void> {
    while (this.open) await this.open;
    this.prepared.clear();
    this.db?.close();
    this.db = null;
  }
}
