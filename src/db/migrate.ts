import { spawn } from "node:child_process";
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
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [PRISMA_CLI, "migrate", "deploy"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: database.url, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d));
    child.stderr.on("data", (d: Buffer) => (text += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(text);
      else reject(new Error(`migrations failed: ${text.trim().split("\n").slice(-3).join(" ")}`));
    });
  });
  if (database.provider === "sqlite") await enableWal(database.file);
  return output;
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
