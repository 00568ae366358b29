import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type Database, ensureDatabaseDirectory } from "./database-url";

const ROOT = join(__dirname, "..", "..");
const PRISMA_CLI = join(ROOT, "node_modules", "prisma", "build", "index.js");

/**
 * Applies pending migrations with `prisma migrate deploy` (the WebAssembly
 * schema engine, through prisma.config.ts: no native binary, no network).
 * Resolves with the CLI's output; rejects with its last lines on failure.
 */
export async function migrate(database: Database): Promise<string> {
  ensureDatabaseDirectory(database);
  // Prisma's schema engine takes SQLite's EXCLUSIVE locking mode, so it fails
  // (SQLITE_BUSY) while a server has the file open, even with nothing to do.
  // Reading the migrations table first lets `migrate` and `npm start` pass
  // then, and skips the CLI's start-up cost.
  const pending =
    database.provider === "sqlite"
      ? await pendingSqliteMigrations(database.file)
      : await pendingPostgresMigrations(database.url);
  // On PostgreSQL the CLI costs tens of seconds of CPU even with nothing to
  // do (the WebAssembly engine), on every start of every process.
  if (pending.length === 0) return "No pending migrations to apply.";
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [PRISMA_CLI, "migrate", "deploy"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: database.url, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr.on("data", (d: Buffer) => (text += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(text);
      else if (/SocketTimeout|SQLITE_BUSY|database is locked/.test(text)) {
        reject(
          new Error(
            "migrations failed: the database file is in use by another process (stop the server, then migrate)",
          ),
        );
      } else {
        const lines = text
          .trim()
          .split("\n")
          .filter((l) => /^(Error|Migration|P\d{4})/.test(l.trim()));
        reject(
          new Error(
            `migrations failed: ${(lines.length > 0 ? lines : text.trim().split("\n").slice(-1)).join(" ").replace(/\s+/g, " ")}`,
          ),
        );
      }
    });
  });
  if (database.provider === "sqlite") await enableWal(database.file);
  return output;
}

function migrationFolders(provider: Database["provider"]): string[] {
  return readdirSync(join(ROOT, "prisma", provider, "migrations"), { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^\d+_/.test(e.name))
    .map((e) => e.name);
}

/** Migration folders not yet recorded as applied in `_prisma_migrations`. */
export async function pendingSqliteMigrations(file: string): Promise<string[]> {
  const folders = migrationFolders("sqlite");
  if (!existsSync(file)) return folders;
  const { default: Sqlite } = await import("better-sqlite3");
  const db = new Sqlite(file, { readonly: true, timeout: 5000 });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
    if (!table) return folders;
    const rows = db
      .prepare("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL")
      .all() as { migration_name: string }[];
    const applied = new Set(rows.map((r) => r.migration_name));
    return folders.filter((f) => !applied.has(f));
  } finally {
    db.close();
  }
}

/** The same for PostgreSQL; any doubt (no table, no connection) leaves it to the CLI. */
async function pendingPostgresMigrations(url: string): Promise<string[]> {
  const folders = migrationFolders("postgresql");
  const { Client } = await import("pg");
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ migration_name: string }>(
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
    );
    const applied = new Set(rows.map((r) => r.migration_name));
    return folders.filter((f) => !applied.has(f));
  } catch {
    return folders;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** WAL: readers never block the writer, and a killed process loses no committed write. */
async function enableWal(file: string): Promise<void> {
  const { default: Sqlite } = await import("better-sqlite3");
  const db = new Sqlite(file);
  try {
    db.pragma("journal_mode = WAL");
  } finally {
    db.close();
  }
}
