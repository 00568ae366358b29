import { PrismaClient as SqliteClient, type Prisma as SqlitePrisma } from "../generated/sqlite/client";
import type { Database } from "./database-url";
import { AdapterCapture, directSql, SQLITE_BUSY_TIMEOUT_MS } from "./direct-sql";
import { CachingSQLite3Factory } from "./sqlite-adapter";
import type { SqlRunner } from "./sql";

// Both generated clients have the same models and API; the SQLite one's type
// stands for both. The PostgreSQL client is loaded only when asked for.
export type Prisma = SqliteClient;

/** The client inside an interactive transaction, or the client itself where none is needed. */
export type Transaction = SqlitePrisma.TransactionClient;

/**
 * For every interactive transaction: SQLite has one writer at a time, so a
 * burst of sign-ups queues for it; Prisma's defaults (2 s to start, 5 s to
 * run) would turn a busy moment into INTERNAL_SERVER_ERRORs.
 */
export const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 20_000 } as const;

export interface DatabaseHandle {
  prisma: Prisma;
  provider: Database["provider"];
  /**
   * Raw statements outside any transaction, sent straight to the driver
   * adapter Prisma shares (src/db/direct-sql.ts). Inside a transaction, pass
   * its client instead.
   */
  sql: SqlRunner;
  /** Closes Prisma's client and the adapter. */
  close(): Promise<void>;
  /**
   * Counts statements sent to the database, when `counting` (tests, the
   * benchmark's round-trip count); otherwise stays at 0.
   */
  queries: { count: number; counting: boolean };
}

/**
 * Prisma's `query` event builds an event object (SQL text, parameters as
 * JSON, duration) for every statement, and it cannot be turned on later: so
 * it is on only in tests (NODE_ENV=test, as jest sets it) or when
 * PRISMA_COUNT_QUERIES=1, or when the caller asks.
 */
export function countingQueries(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV === "test" || env.PRISMA_COUNT_QUERIES === "1";
}

export function connect(database: Database, opts: { countQueries?: boolean } = {}): DatabaseHandle {
  const queries = { count: 0, counting: opts.countQueries ?? countingQueries() };
  const count = () => {
    queries.count++;
  };
  const log = queries.counting ? ([{ emit: "event", level: "query" }] as const) : ([] as const);
  let prisma: Prisma;
  let capture: AdapterCapture;
  if (database.provider === "sqlite") {
    // busy timeout: concurrent writers in other processes wait instead of failing.
    // Prepared statements are kept per SQL text (src/db/sqlite-adapter.ts).
    capture = new AdapterCapture(new CachingSQLite3Factory({ url: database.url, timeout: SQLITE_BUSY_TIMEOUT_MS }));
    const client = new SqliteClient({ adapter: capture, log: [...log] });
    if (queries.counting) client.$on("query", count);
    prisma = client;
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- pg and its adapter load only for PostgreSQL
    const { PrismaPg } = require("@prisma/adapter-pg") as typeof import("@prisma/adapter-pg");
    type PgClientModule = typeof import("../generated/postgresql/client");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the PostgreSQL client loads only for PostgreSQL
    const { PrismaClient } = require("../generated/postgresql/client") as PgClientModule;
    capture = new AdapterCapture(new PrismaPg({ connectionString: database.url, max: 10 }));
    const client = new PrismaClient({ adapter: capture, log: [...log] });
    if (queries.counting) client.$on("query", count);
    prisma = client as unknown as Prisma;
  }
  const sql = directSql(capture, database.provider, queries.counting ? count : undefined);
  return {
    prisma,
    provider: database.provider,
    sql,
    queries,
    async close() {
      await prisma.$disconnect();
      await capture.dispose();
    },
  };
}
