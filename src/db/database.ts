import { Kysely, sql, type Transaction } from "kysely";
import type { DB } from "../generated/kysely/database";
import type { Database } from "./database-url";
import { postgresDialect } from "./postgres-dialect";
import { SqliteDialect } from "./sqlite-dialect";

// The data layer: Kysely, typed from prisma/sqlite/schema.prisma by
// prisma-kysely (src/generated/kysely), on one better-sqlite3 connection per
// process for SQLite (sqlite-dialect.ts: the lock policy) or a pg pool for
// PostgreSQL (postgres-dialect.ts: prepared statements, outages). Prisma
// owns the schema, the migrations and these types; nothing here goes
// through Prisma's client. Statements live in each feature's
// `<entity>.queries.ts`; services call them, inside db.transaction() when
// more than one must hold together.

/** Everything a query module may run statements on: the database itself, or a transaction. */
export type Executor = Kysely<DB>;
export type { Transaction };

export type StatementKind = "select" | "insert" | "update" | "delete" | "other";

/** Told the time of every statement sent (for Prometheus, src/metrics/, when metrics are on). */
export interface StatementObserver {
  observeStatement(kind: StatementKind, seconds: number): void;
}

const KINDS: [StatementKind, RegExp][] = [
  ["select", /^\s*select\b/i],
  ["insert", /^\s*insert\b/i],
  ["update", /^\s*update\b/i],
  ["delete", /^\s*delete\b/i],
];

/** A statement's kind, from its first keyword (a WITH ... is "other"). */
export function statementKind(text: string): StatementKind {
  for (const [kind, pattern] of KINDS) if (pattern.test(text)) return kind;
  return "other";
}

export interface DatabaseHandle {
  provider: Database["provider"];
  /** Statements outside any transaction. */
  kysely: Kysely<DB>;
  /**
   * Runs `work` in one transaction: on SQLite it holds the write lock from
   * its start (sqlite-dialect.ts), so keep hashing and other slow work out of it.
   */
  transaction<T>(work: (tx: Transaction<DB>) => Promise<T>): Promise<T>;
  /** One round trip, for /readyz. */
  ping(): Promise<void>;
  /** Statements sent so far (tests and the bench count round trips). */
  statements: { count: number };
  close(): Promise<void>;
}

export interface OpenOptions {
  /** DATABASE_TIMEOUT, in seconds. */
  timeoutSeconds?: number;
  statements?: StatementObserver;
  /** The database stopped answering (true) or answers again (false); once per outage. */
  onOutage?: (down: boolean, reason: string) => void;
}

export const DEFAULT_DATABASE_TIMEOUT_SECONDS = 5;

export function openDatabase(database: Database, options: OpenOptions = {}): DatabaseHandle {
  const statements = { count: 0 };
  const observer = options.statements;
  const onStatement = (text: string, ms: number) => {
    statements.count++;
    observer?.observeStatement(statementKind(text), ms / 1000);
  };
  const timeoutMs = (options.timeoutSeconds ?? DEFAULT_DATABASE_TIMEOUT_SECONDS) * 1000;
  const dialect =
    database.provider === "sqlite"
      ? new SqliteDialect({ file: database.file, lockTimeoutMs: timeoutMs, onStatement })
      : postgresDialect({
          url: database.url,
          poolSize: database.poolSize,
          namedStatements: !database.pgbouncer,
          timeoutMs,
          onOutage: options.onOutage,
          onStatement,
        });
  const kysely = new Kysely<DB>({ dialect });
  return {
    provider: database.provider,
    kysely,
    transaction: (work) => kysely.transaction().execute(work),
    async ping() {
      await sql`SELECT 1`.execute(kysely);
    },
    statements,
    close: () => kysely.destroy(),
  };
}
