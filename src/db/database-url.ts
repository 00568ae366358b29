import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

export type Database =
  | { provider: "sqlite"; url: string; file: string }
  | {
      provider: "postgresql";
      /** Without the parameters below, which are this project's, not PostgreSQL's. */
      url: string;
      /** `?connection_limit=`: connections in each process's pool. */
      poolSize: number;
      /** `?pgbouncer=true`: through PgBouncer in transaction mode without max_prepared_statements. */
      pgbouncer: boolean;
    };

/** Connections per process when the URL does not say (`?connection_limit=`), as Prisma's own default. */
export const DEFAULT_POOL_SIZE = 10;
const MAX_POOL_SIZE = 1000;

export const DEFAULT_DATABASE_URL = "file:./data/db.sqlite3";

/**
 * Reads DATABASE_URL: `file:` is SQLite (relative paths resolve against the
 * working directory), `postgres://` or `postgresql://` is PostgreSQL.
 * Throws an Error naming the variable for anything else.
 */
export function databaseFromUrl(raw: string | undefined): Database {
  const url = raw === undefined || raw.trim() === "" ? DEFAULT_DATABASE_URL : raw.trim();
  if (url.startsWith("file:")) {
    const path = url.slice("file:".length).replace(/\?.*$/, "");
    if (path === "" || path === ":memory:") {
      throw new Error(
        `DATABASE_URL: "${url}" needs a file path (an in-memory database would vanish between processes)`,
      );
    }
    const file = resolve(path);
    return { provider: "sqlite", url: `file:${file}`, file };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return postgresFromUrl(url);
  // Only the scheme is echoed: the rest may hold a password.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? "(none)";
  throw new Error(`DATABASE_URL: scheme ${scheme} is neither file: (SQLite) nor postgresql:// (PostgreSQL)`);
}

/** SQLite will not create the folder of its file. */
export function ensureDatabaseDirectory(database: Database): void {
  if (database.provider === "sqlite") mkdirSync(dirname(database.file), { recursive: true });
}

/** Where the data lives, without the credentials a PostgreSQL URL may hold. */
export function describeDatabase(database: Database): string {
  if (database.provider === "sqlite") return `SQLite at ${database.file}`;
  try {
    const url = new URL(database.url);
    return `PostgreSQL at ${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "PostgreSQL";
  }
}

/** A PostgreSQL URL's own parameters (Prisma's names), read and taken out of what pg is given. */
function postgresFromUrl(url: string): Database {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("DATABASE_URL: is not a valid URL");
  }
  const limit = parsed.searchParams.get("connection_limit");
  let poolSize = DEFAULT_POOL_SIZE;
  if (limit !== null) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_POOL_SIZE) {
      throw new Error(`DATABASE_URL: connection_limit must be a whole number from 1 to ${MAX_POOL_SIZE}`);
    }
    poolSize = Number(limit);
  }
  const bouncer = parsed.searchParams.get("pgbouncer");
  if (bouncer !== null && bouncer !== "true" && bouncer !== "false") {
    throw new Error("DATABASE_URL: pgbouncer must be true or false");
  }
  parsed.searchParams.delete("connection_limit");
  parsed.searchParams.delete("pgbouncer");
  return { provider: "postgresql", url: parsed.toString(), poolSize, pgbouncer: bouncer === "true" };
}
