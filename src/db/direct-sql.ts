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

// A read outside any transaction, sent straight to the driver adapter that
// Prisma itself runs on: the same connection (SQLite) or pool (PostgreSQL),
// the same argument mapping, and results decoded exactly as `$queryRaw`
// decodes them. What it skips is the client's round trip through its
// WebAssembly query compiler, which costs ~70 µs of CPU per statement
// against ~6 µs for the statement itself (BENCHMARKS.md): every request pays
// it at least once, for its key. Writes and transactions stay on Prisma.

/**
 * Wraps an adapter factory given to PrismaClient and remembers the adapter
 * Prisma connected through it, until Prisma disposes of it.
 */
export class AdapterCapture implements SqlDriverAdapterFactory {
  readonly provider: SqlDriverAdapterFactory["provider"];
  readonly adapterName: string;
  /** The adapter Prisma is connected through, or null before $connect and after $disconnect. */
  current: SqlDriverAdapter | null = null;

  constructor(private readonly inner: SqlDriverAdapterFactory) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    const adapter = await this.inner.connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = () => {
      if (this.current === adapter) this.current = null;
      return dispose();
    };
    this.current = adapter;
    return adapter;
  }
}

/** Prisma's raw parameters carry no declared type: the adapters map them by their JS value (Date, boolean, ...). */
const UNTYPED: ArgType = { scalarType: "unknown", arity: "scalar" };

/**
 * One value as `$queryRaw` returns it: Prisma's client first normalises the
 * adapter's value by column type, then turns it into a JS value (runtime
 * `$t` then `lt` in @prisma/client 6.19). Only the scalar types a query
 * module can select are decoded; any other fails loudly.
 */
function decodeValue(value: unknown, type: ColumnType): unknown {
  if (value === null) return null;
  switch (type) {
    case ColumnTypeEnum.Int32:
      return Math.trunc(typeof value === "string" ? Number(value) : (value as number));
    case ColumnTypeEnum.Int64:
      return typeof value === "number" ? BigInt(Math.trunc(value)) : BigInt(value as string | bigint);
    case ColumnTypeEnum.Float:
    case ColumnTypeEnum.Double:
    case ColumnTypeEnum.UnknownNumber:
    case ColumnTypeEnum.Text:
    case ColumnTypeEnum.Character:
    case ColumnTypeEnum.Enum:
    case ColumnTypeEnum.Uuid:
      return value;
    case ColumnTypeEnum.Boolean:
      return value === true || value === 1 || value === "true" || value === "1";
    case ColumnTypeEnum.DateTime:
    case ColumnTypeEnum.Date:
      return new Date(value as string);
    case ColumnTypeEnum.Time:
      return new Date(`1970-01-01T${value as string}Z`);
    case ColumnTypeEnum.Json:
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
 * A SqlRunner for statements outside any transaction: `$queryRaw` on the
 * adapter, `$executeRaw` through Prisma (its errors carry the codes that
 * shared/prisma-errors.ts reads). `onStatement` counts statements, as
 * Prisma's query event counts its own.
 */
export function directSql(
  prisma: SqlRunner & { $connect(): Promise<void> },
  capture: AdapterCapture,
  provider: Database["provider"],
  onStatement?: () => void,
): SqlRunner {
  return {
    async $queryRaw<T>(query: TemplateStringsArray | Sql, ...values: unknown[]): Promise<T> {
      const statement = isTemplate(query) ? sql(query, ...values) : query;
      if (!capture.current) await prisma.$connect();
      const adapter = capture.current;
      if (!adapter) throw new Error("direct sql: Prisma connected without going through AdapterCapture");
      onStatement?.();
      const result = await adapter
        .queryRaw({
          // SQLite takes `?` placeholders, PostgreSQL `$1`.
          sql: provider === "postgresql" ? statement.text : statement.sql,
          args: statement.values,
          argTypes: statement.values.map(() => UNTYPED),
        })
        .catch((e: unknown) => {
          throw explained(e);
        });
      return decodeRows(result) as T;
    },
    $executeRaw: (query, ...values) => prisma.$executeRaw(query, ...values),
  };
}
