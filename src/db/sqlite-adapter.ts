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
    const { stmt, args } = this;
    return { all: () => stmt.raw(true).all(args) };
  }

  run(): Sqlite.RunResult {
    return this.stmt.run(this.args);
  }
}

class CachedStatement {
  // columns() builds a fresh array of objects on every call (1.9% of CPU in
  // the profile); a statement's columns do not change while the server runs,
  // since migrations run before it serves (src/main.ts).
  private cols: Sqlite.ColumnDefinition[] | null = null;

  constructor(private readonly stmt: Sqlite.Statement<Args>) {}

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
export function cacheStatements(db: Sqlite.Database, size = CACHE_SIZE): void {
  const prepare = db.prepare.bind(db) as (sql: string) => Sqlite.Statement<Args>;
  const cache = new Map<string, CachedStatement>();
  const cached = (sql: string): CachedStatement => {
    let entry = cache.get(sql);
    if (entry) {
      // Map keeps insertion order: moving the hit to the end makes the first key the least recently used.
      cache.delete(sql);
    } else {
      entry = new CachedStatement(prepare(sql));
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, entry);
    return entry;
  };
  Object.defineProperty(db, "prepare", { value: cached, configurable: true, writable: true });
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
  cacheStatements(client);
  return adapter;
}
