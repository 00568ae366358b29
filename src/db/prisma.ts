import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient as SqliteClient, type Prisma as SqlitePrisma } from "../generated/sqlite/client";
import type { Database } from "./database-url";

// Both generated clients have the same models and API; the SQLite one's type
// stands for both. The PostgreSQL client is loaded only when asked for.
export type Prisma = SqliteClient;

/** The client inside an interactive transaction, or the client itself where none is needed. */
export type Transaction = SqlitePrisma.TransactionClient;

export interface DatabaseHandle {
  prisma: Prisma;
  provider: Database["provider"];
  /** Counts statements sent to the database (for the benchmark and tests). */
  queries: { count: number };
}

export function connect(database: Database): DatabaseHandle {
  const queries = { count: 0 };
  const count = () => {
    queries.count++;
  };
  const log = [{ emit: "event", level: "query" }] as const;
  let prisma: Prisma;
  if (database.provider === "sqlite") {
    // busy timeout: concurrent writers in other processes wait instead of failing
    const adapter = new PrismaBetterSQLite3({ url: database.url, timeout: 5000 });
    const client = new SqliteClient({ adapter, log: [...log] });
    client.$on("query", count);
    prisma = client;
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- pg and its adapter load only for PostgreSQL
    const { PrismaPg } = require("@prisma/adapter-pg") as typeof import("@prisma/adapter-pg");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the PostgreSQL generated client loads only for PostgreSQL
    const { PrismaClient } = require("../generated/postgresql/client") as typeof import("../generated/postgresql/client");
    const adapter = new PrismaPg({ connectionString: database.url, max: 10 });
    const client = new PrismaClient({ adapter, log: [...log] });
    client.$on("query", count);
    prisma = client as unknown as Prisma;
  }
  return { prisma, provider: database.provider, queries };
}
