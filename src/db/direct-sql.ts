import {
  ColumnTypeEnum,
  type ArgType,
  type ColumnType,
  type SqlDriverAdapter,
  type SqlDriverAdapterFactory,
  type SqlResultSet,
} from "@prisma/driver-adapter-utils";
import type { Database } from "./database-url";
import { sql, type Sql, type SqlRunner } from "./sql";
import { isBusy, runWithoutBusyWait } from "./sqlite-adapter";

// A statement outside any transaction, sent straight to the driver adapter that
// Prisma itself runs on: the same connection (SQLite) or pool (PostgreSQL),
// the same argument mapping, and results decoded exactly as `$queryRaw`
// decodes them. What it skips is the client's round trip through its
// WebAssembly query compiler, which costs ~70 µs of CPU per statement
// against ~6 µs for the statement itself (BENCHMARKS.md): every request pays
// it at least once, for its key. Transactions and the model API stay on Prisma.

/**
 * Wraps the adapter factory given to PrismaClient so that Prisma and the
 * direct statements share one adapter (one SQLite connection, one
 * PostgreSQL pool), whichever of them connects first. Prisma's client
 * connects only for its model API and transactions: a process that serves
 * only reads and the statements in the query modules never instantiates
 * Prisma's query compiler (about 24 MB of WebAssembly per process).
 */
export class AdapterCapture implements SqlDriverAdapterFactory {
  readonly provider: SqlDriverAdapterFactory["provider"];
  readonly adapterName: string;
  private connecting: Promise<SqlDriverAdapter> | null = null;

  constructor(private readonly inner: SqlDriverAdapterFactory) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
  }

  /** Prisma's $connect: the adapter the direct statements may already use. */
  connect(): Promise<SqlDriverAdapter> {
    return this.adapter();
  }

  /** The connected adapter, connecting it on first use. */
  adapter(): Promise<SqlDriverAdapter> {
    if (this.connecting) return this.connecting;
    const connecting: Promise<SqlDriverAdapter> = this.inner.connect().then(
      (adapter) => {
        // Prisma disposes of it on $disconnect; the next use connects again.
        const dispose = adapter.dispose.bind(adapter);
        adapter.dispose = () => {
          if (this.connecting === connecting) this.connecting = null;
          return dispose();
        };
        return adapter;
      },
      (error: unknown) => {
        if (this.connecting === connecting) this.connecting = null;
        throw error;
      },
    );
    return (this.connecting = connecting);
  }

  /** Closes the adapter if it is still open (Prisma's $disconnect closes it only when Prisma connected). */
  async dispose(): Promise<void> {
    const connecting = this.connecting;
    if (!connecting) return;
    const adapter = await connecting.catch(() => null);
    await adapter?.dispose();
  }
}

/** Prisma's raw parameters carry no declared type: the adapters map them by their JS value (Date, boolean, ...). */
const UNTYPED: ArgType = { scalarType: "unknown", arity: "scalar" };

/**
 * The column type codes, copied once: the package's CommonJS build exports
 * ColumnTypeEnum through a getter, which the switch below called up to 14
 * times per value (0.9% of all CPU in the bench's profile).
 */
const Column = { ...ColumnTypeEnum };

/**
 * One value as `$queryRaw` returns it: Prisma's client first normalises the
 * adapter's value by column type, then turns it into a JS value (runtime
 * `$t` then `lt` in @prisma/client 6.19). Only the scalar types a query
 * module can select are decoded; any other fails loudly.
 */
function decodeValue(value: unknown, type: ColumnType): unknown {
  if (value === null) return null;
  switch (type) {
    case Column.Int32:
      return Math.trunc(typeof value === "string" ? Number(value) : (value as number));
    case Column.Int64:
      return typeof value === "number" ? BigInt(Math.trunc(value)) : BigInt(value as string | bigint);
    case Column.Float:
    case Column.Double:
    case Column.UnknownNumber:
    case Column.Text:
    case Column.Character:
    case Column.Enum:
    case Column.Uuid:
      return value;
    case Column.Boolean:
      return value === true || value === 1 || value === "true" || value === "1";
    case Column.DateTime:
    case Column.Date:
      return new Date(value as string);
    case Column.Time:
      return new Date(`1970-01-01T${value as string}Z`);
    case Column.Json:
      return typeof value === "string" ? JSON.parse(value) : value;
    default:
      throw new Error(`direct sql: column type ${type} is not decoded here; read it through Prisma`);
  }
}

/** Rows as objects keyed by column name, as `$queryRaw` gives them. */
export function decodeRows(result: SqlResultSet): Record<string, unknown>[] {
  const { columnNames, columnTypes, rows } = result;
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < columnNames.length; i++) out[columnNames[i]!] = decodeValue(row[i], columnTypes[i]!);
    return out;
  });
}

/**
 * A driver adapter's error says only its kind ("TableDoesNotExist"); Prisma
 * would add the database's own words. So does this, for the log line of an
 * internal error. The error itself, and its structured `cause`, stay.
 */
function explained(error: unknown): unknown {
  if (error instanceof Error && error.name === "DriverAdapterError") {
    const cause = (error as { cause?: Record<string, unknown> }).cause;
    const words = typeof cause?.originalMessage === "string" ? cause.originalMessage : JSON.stringify(cause);
    error.message = `${error.message}: ${words}`;
  }
  return error;
}

function isTemplate(query: TemplateStringsArray | Sql): query is TemplateStringsArray {
  return Array.isArray(query);
}

/**
 * A SqlRunner for statements outside any transaction, sent to the adapter
 * Prisma shares (see AdapterCapture). Their failures are the adapter's own
 * DriverAdapterErrors, whose `cause` is what Prisma would wrap: the codes
 * shared/prisma-errors.ts reads come from it. `onStatement` counts
 * statements, as Prisma's query event counts its own.
 */
export function directSql(
  capture: AdapterCapture,
  provider: Database["provider"],
  onStatement?: () => void,
): SqlRunner {
  const query = (q: TemplateStringsArray | Sql, values: unknown[]) => {
    const statement = isTemplate(q) ? sql(q, ...values) : q;
    onStatement?.();
    return {
      // SQLite takes `?` placeholders, PostgreSQL `$1`.
      sql: provider === "postgresql" ? statement.text : statement.sql,
      args: statement.values,
      argTypes: statement.values.map(() => UNTYPED),
    };
  };
  const send = async <R>(run: (adapter: SqlDriverAdapter) => Promise<R>): Promise<R> => {
    const adapter = await capture.adapter();
    if (provider !== "sqlite") return run(adapter).catch(failed);
    // SQLite: another process's write lock is waited for here, between
    // tries, rather than inside SQLite, where the wait blocks the event loop.
    const started = Date.now();
    let spinUntil: number | undefined;
    for (let pauses = 0; ;) {
      try {
        return await runWithoutBusyWait(adapter, () => run(adapter));
      } catch (e) {
        if (!isBusy(e) || Date.now() - started >= SQLITE_BUSY_TIMEOUT_MS) failed(e);
      }
      spinUntil ??= performance.now() + BUSY_RETRY_AT_ONCE_MS;
      if (performance.now() < spinUntil) continue;
      await busyPause(pauses++);
    }
  };
  return {
    async $queryRaw<T>(q: TemplateStringsArray | Sql, ...values: unknown[]): Promise<T> {
      const statement = query(q, values);
      return decodeRows(await send((adapter) => adapter.queryRaw(statement))) as T;
    },
    async $executeRaw(q: TemplateStringsArray | Sql, ...values: unknown[]): Promise<number> {
      const statement = query(q, values);
      return send((adapter) => adapter.executeRaw(statement));
    },
  };
}

const failed = (e: unknown): never => {
  throw explained(e);
};

/** As long as SQLite's own busy timeout on the connection (src/db/prisma.ts). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * For this long after a write first finds the file locked, it tries again at
 * once (each try a microtask later, so other work interleaves). Another
 * process's write holds the lock for tens of microseconds, while waiting for
 * the next turn of the event loop costs the request the rest of this turn:
 * several ms with a worker's share of 32 connections in flight. Measured on 2
 * workers inserting (BENCHMARKS.md): 5 to 7% of inserts find the lock held;
 * 97-98% of those then get it within 2 ms, against 17-19% without it.
 */
const BUSY_RETRY_AT_ONCE_MS = 0.3;

/**
 * Between tries on a locked SQLite file, once the tries at once are spent:
 * the next turn of the event loop first, then 1, 2, 4 ... up to 20 ms.
 */
function busyPause(pauses: number): Promise<void> {
  if (pauses === 0) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, Math.min(20, 2 ** (pauses - 1))));
}
