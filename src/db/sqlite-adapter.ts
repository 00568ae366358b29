import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import Sqlite from "better-sqlite3";

// @prisma/adapter-better-sqlite3 6.19 calls `db.prepare(sql).bind(args)` for
// every statement: SQLite parses and plans the same text again on each
// request (8.6% of all CPU in the bench's profile, BENCHMARKS.md). This
// factory gives the adapter a connection whose prepare() returns statements
// cached by SQL text. better-sqlite3 allows bind() once per statement object,
// so the cache hands out a light view that passes the arguments at execution
// instead of binding them for good.

/** Distinct SQL texts kept prepared; the least recently used beyond it are dropped. */
const CACHE_SIZE = 500;

type Args = unknown[];
/** The adapter type, taken from the factory (its package is a dependency of the adapter, not ours). */
type SqlDriverAdapter = Awaited<ReturnType<PrismaBetterSQLite3["connect"]>>;

/**
 * Per connection: whether the statement about to run should fail at once on
 * a lock held by another process (see runWithoutBusyWait), and the two
 * pragmas that switch SQLite's busy timeout, prepared once.
 */
class BusyWait {
  /** Set only while runWithoutBusyWait runs its callback. */
  skip = false;
  private readonly off: Sqlite.Statement<Args>;
  private readonly on: Sqlite.Statement<Args>;

  constructor(db: Sqlite.Database, prepare: (sql: string) => Sqlite.Statement<Args>) {
    const timeout = Number(db.pragma("busy_timeout", { simple: true }));
    this.off = prepare("PRAGMA busy_timeout = 0");
    this.on = prepare(`PRAGMA busy_timeout = ${timeout}`);
  }

  /** Runs a statement; a write runs without SQLite's busy wait when `skip` is set (reads never wait in WAL mode). */
  run<T>(stmt: Sqlite.Statement<Args>, execute: () => T): T {
    if (!this.skip || stmt.readonly) return execute();
    this.off.run();
    try {
      return execute();
    } finally {
      this.on.run();
    }
  }
}

/** The part of a bound better-sqlite3 statement the adapter uses. */
class BoundStatement {
  constructor(
    private readonly stmt: Sqlite.Statement<Args>,
    private readonly args: Args,
    private readonly owner: CachedStatement,
  ) {}

  get reader(): boolean {
    return this.stmt.reader;
  }

  columns(): Sqlite.ColumnDefinition[] {
    return this.owner.columns();
  }

  raw(): { all(): unknown[] } {
    const { stmt, args, owner } = this;
    return { all: () => owner.busy.run(stmt, () => stmt.raw(true).all(args)) };
  }

  run(): Sqlite.RunResult {
    return this.owner.busy.run(this.stmt, () => this.stmt.run(this.args));
  }
}

class CachedStatement {
  // columns() builds a fresh array of objects on every call (1.9% of CPU in
  // the profile); a statement's columns do not change while the server runs,
  // since migrations run before it serves (src/main.ts).
  private cols: Sqlite.ColumnDefinition[] | null = null;

  constructor(
    private readonly stmt: Sqlite.Statement<Args>,
    readonly busy: BusyWait,
  ) {}

  bind(args: Args): BoundStatement {
    return new BoundStatement(this.stmt, args, this);
  }

  columns(): Sqlite.ColumnDefinition[] {
    return (this.cols ??= this.stmt.columns());
  }

  /** Without arguments, as the adapter runs BEGIN. */
  run(): Sqlite.RunResult {
    return this.stmt.run();
  }
}

/** Replaces `db.prepare` on this one connection with a cached version. */
export function cacheStatements(db: Sqlite.Database, size = CACHE_SIZE): BusyWait {
  const prepare = db.prepare.bind(db) as (sql: string) => Sqlite.Statement<Args>;
  const busy = new BusyWait(db, prepare);
  const cache = new Map<string, CachedStatement>();
  const cached = (sql: string): CachedStatement => {
    let entry = cache.get(sql);
    if (entry) {
      // Map keeps insertion order: moving the hit to the end makes the first key the least recently used.
      cache.delete(sql);
    } else {
      entry = new CachedStatement(prepare(sql), busy);
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, entry);
    return entry;
  };
  Object.defineProperty(db, "prepare", { value: cached, configurable: true, writable: true });
  return busy;
}

/**
 * Prisma's better-sqlite3 adapter factory, with prepared statements cached
 * per connection. Same options as PrismaBetterSQLite3.
 */
export class CachingSQLite3Factory {
  readonly provider = "sqlite" as const;
  readonly adapterName: string;
  private readonly inner: PrismaBetterSQLite3;

  constructor(...args: ConstructorParameters<typeof PrismaBetterSQLite3>) {
    this.inner = new PrismaBetterSQLite3(...args);
    this.adapterName = this.inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    return withCache(await this.inner.connect());
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    return withCache(await this.inner.connectToShadowDb());
  }
}

function isConnection(value: unknown): value is Sqlite.Database {
  if (typeof value !== "object" || value === null) return false;
  const db = value as Partial<Record<keyof Sqlite.Database, unknown>>;
  return typeof db.prepare === "function" && typeof db.exec === "function" && typeof db.open === "boolean";
}

function withCache(adapter: SqlDriverAdapter): SqlDriverAdapter {
  // The adapter keeps its connection in a public `client` field (not in its
  // type declarations): check it at run time rather than trust a cast, so an
  // upgrade that moves it fails at start, not with uncached statements.
  // The adapter has its own copy of better-sqlite3 (another version than
  // ours), so `instanceof` cannot tell: check the shape.
  const client: unknown = (adapter as unknown as Record<string, unknown>).client;
  if (!isConnection(client)) {
    throw new Error(
      "@prisma/adapter-better-sqlite3 no longer exposes its connection as `client`: update src/db/sqlite-adapter.ts",
    );
  }
  connections.set(adapter, cacheStatements(client));
  gateTransactions(adapter);
  return adapter;
}

/**
 * One SQLite connection serves every statement of the process, and the
 * adapter runs a transaction on it from BEGIN to COMMIT. A statement sent
 * outside the transaction meanwhile (Prisma's own, or db.sql's) would run
 * inside it: it would see the transaction's uncommitted rows, and a rollback
 * would undo a write whose caller was already told it succeeded. So
 * statements outside a transaction wait until no transaction is open or
 * queued (the adapter itself queues transactions one after another).
 * PostgreSQL's adapter gives each transaction its own pooled connection.
 */
function gateTransactions(adapter: SqlDriverAdapter): void {
  let open = 0;
  let closed: Promise<void> = Promise.resolve();
  let wake = () => {};
  const opened = () => {
    if (open++ === 0) closed = new Promise((resolve) => (wake = resolve));
  };
  const ended = () => {
    if (--open === 0) wake();
  };

  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => {
    opened();
    let tx: Awaited<ReturnType<typeof startTransaction>>;
    try {
      tx = await startTransaction(isolationLevel);
    } catch (e) {
      ended();
      throw e;
    }
    let done = false;
    const end =
      <T>(finish: () => Promise<T>) =>
      async (): Promise<T> => {
        try {
          return await finish();
        } finally {
          if (!done) {
            done = true;
            ended();
          }
        }
      };
    tx.commit = end(tx.commit.bind(tx));
    tx.rollback = end(tx.rollback.bind(tx));
    return tx;
  };

  // When no transaction is open, the statement still runs at once, inside
  // this call (runWithoutBusyWait relies on that).
  const queryRaw = adapter.queryRaw.bind(adapter);
  adapter.queryRaw = async (query) => {
    while (open > 0) await closed;
    return queryRaw(query);
  };
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (query) => {
    while (open > 0) await closed;
    return executeRaw(query);
  };
}

/** Each adapter's connection state, for runWithoutBusyWait. */
const connections = new WeakMap<object, BusyWait>();

/**
 * Runs `fn`, which must execute its statement synchronously on `adapter`'s
 * connection (the adapter's queryRaw and executeRaw do, before their first
 * await), with SQLite's busy timeout at 0 for a write: one that finds
 * another process holding the lock fails at once with SQLITE_BUSY instead of
 * sleeping in SQLite's busy handler (1, 2, 5, 10 ms ...), which blocks the
 * whole event loop. The caller retries without blocking (src/db/direct-sql.ts).
 * The connection's own timeout is restored before this returns, so Prisma's
 * statements and transactions keep waiting as configured.
 */
export function runWithoutBusyWait<T>(adapter: object, fn: () => T): T {
  const busy = connections.get(adapter);
  if (!busy) return fn();
  busy.skip = true;
  try {
    return fn();
  } finally {
    busy.skip = false;
  }
}

/** True for SQLite's "database is locked" family (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT ...), as the adapter reports it. */
export function isBusy(error: unknown): boolean {
  const cause = (error as { cause?: { originalCode?: unknown } } | null)?.cause;
  return typeof cause?.originalCode === "string" && cause.originalCode.startsWith("SQLITE_BUSY");
}
