import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

export type Database = { provider: "sqlite"; url: string; file: string } | { provider: "postgresql"; url: string };

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
  if (/^postgres(ql)?:\/\//.test(url)) {
    return { provider: "postgresql", url };
  }
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
