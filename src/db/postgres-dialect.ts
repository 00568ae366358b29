import { Pool, types, type PoolClient, type PoolConfig } from "pg";
import { PostgresDialect, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from "kysely";
import { MESSAGES, UnavailableError } from "../shared/errors";

// Kysely's own PostgresDialect, on a pg pool seen through Kysely's documented
// PostgresPool interface. The pool adds what the request path needs:
//
// - Statements prepared once per connection: each statement text gets a
//   name, so PostgreSQL parses and plans it on a connection's first use only
//   (parse + bind cost several times a point lookup's execution). Not through
//   PgBouncer in transaction mode without max_prepared_statements, where a
//   name may reach another server connection: `?pgbouncer=true` turns names off.
// - Timestamps read and written in UTC, whatever the process's time zone
//   (Prisma's `timestamp(3)` columns have none), and COUNT's int8 as a number.
// - A database that does not answer: a bounded wait for a connection and for
//   each statement, then 503 SERVICE_UNAVAILABLE with Retry-After (never a
//   500), a connection that timed out is destroyed rather than reused, and
//   one log line per outage, not one per request.

export interface PostgresOptions {
  url: string;
  /** Connections in this process's pool (connection_limit). */
  poolSize: number;
  /** Name statements (off through PgBouncer without max_prepared_statements). */
  namedStatements: boolean;
  /** DATABASE_TIMEOUT, in ms: the wait for a connection, and for one statement. */
  timeoutMs: number;
  /** The database stopped answering (true) or answers again (false): once each per outage. */
  onOutage?: (down: boolean, reason: string) => void;
  onStatement?: (sql: string, ms: number) => void;
}

/** Statement texts named per connection; any beyond run unnamed (a server keeps each plan per connection). */
const MAX_NAMED_STATEMENTS = 200;

const OID = { INT8: 20, TIMESTAMP: 1114, TIMESTAMPTZ: 1184 } as const;

const utc = (text: string) => new Date(text.includes("+") || text.endsWith("Z") ? text : `${text.replace(" ", "T")}Z`);

/** Seconds a client is told to wait when the database did not answer. */
const UNREACHABLE_RETRY_AFTER_SECONDS = 2;

/** A failure that means the database is not there, rather than a statement's own error. */
export function isConnectionFailure(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  // Class 08: connection exceptions; 57P01-57P03: the server shutting down or starting; 53300: too many connections.
  if (/^08/.test(code) || ["57P01", "57P02", "57P03", "53300"].includes(code)) return true;
  if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE", "EHOSTUNREACH"].includes(code)) return true;
  const message = typeof e?.message === "string" ? e.message : "";
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error/i.test(
    message,
  );
}

export function postgresDialect(options: PostgresOptions): PostgresDialect {
  return new PostgresDialect({ pool: new BoundedPool(options) });
}

class BoundedPool implements PostgresPool {
  private readonly pool: Pool;
  private readonly names = new Map<string, string>();
  private down = false;

  constructor(private readonly options: PostgresOptions) {
    const config: PoolConfig = {
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.timeoutMs,
      query_timeout: options.timeoutMs,
      types: {
        getTypeParser: ((oid: number, format?: string) => {
          if (oid === OID.INT8) return (text: string) => Number(text);
          if (oid === OID.TIMESTAMP || oid === OID.TIMESTAMPTZ) return utc;
          return types.getTypeParser(oid, format as "text") as (text: string) => unknown;
        }) as never,
      },
    };
    this.pool = new Pool(config);
    // An idle connection that dies (a restart) is removed by pg; without a
    // listener its error would end the process.
    this.pool.on("error", (e) => this.failed(e));
  }

  private failed(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.options.onOutage?.(true, error instanceof Error ? error.message : String(error));
  }

  private answered(): void {
    if (!this.down) return;
    this.down = false;
    this.options.onOutage?.(false, "");
  }

  /** A connection failure as the client sees it; any other error unchanged. */
  unavailable(error: unknown): unknown {
    if (!isConnectionFailure(error)) return error;
    this.failed(error);
    return new UnavailableError(MESSAGES.databaseUnreachable, UNREACHABLE_RETRY_AFTER_SECONDS);
  }

  nameOf(text: string): string | undefined {
    if (!this.options.namedStatements) return undefined;
    let name = this.names.get(text);
    if (name === undefined && this.names.size < MAX_NAMED_STATEMENTS) {
      name = `s${this.names.size}`;
      this.names.set(text, name);
    }
    return name;
  }

  async connect(): Promise<PostgresPoolClient> {
    try {
      const client = await this.pool.connect();
      return new BoundedClient(client, this);
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  statement(sql: string, ms: number): void {
    this.answered();
    this.options.onStatement?.(sql, ms);
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}

const toParameter = (value: unknown) =>
  // Stored as UTC wall time in `timestamp` columns: PostgreSQL ignores the zone of the text.
  value instanceof Date ? value.toISOString() : value;

class BoundedClient implements PostgresPoolClient {
  /** Set when a statement failed for the connection's sake: the pool must not hand it out again. */
  private broken = false;

  constructor(
    private readonly client: PoolClient,
    private readonly pool: BoundedPool,
  ) {}

  // Kysely only streams through a cursor; this project never streams.
  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query(cursor: never): never;
  async query<R>(sql: unknown, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (typeof sql !== "string") throw new Error("PostgreSQL: streaming is not used in this project");
    const started = performance.now();
    try {
      const result = await this.client.query({
        text: sql,
        values: (parameters ?? []).map(toParameter),
        name: this.pool.nameOf(sql),
      });
      this.pool.statement(sql, performance.now() - started);
      return result as unknown as PostgresQueryResult<R>;
    } catch (e) {
      const mapped = this.pool.unavailable(e);
      if (mapped !== e) this.broken = true;
      throw mapped;
    }
  }

  release(): void {
    this.client.release(this.broken ? true : undefined);
  }
}
