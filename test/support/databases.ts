import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";

// Where each test file's database comes from. global-setup migrates one
// template per provider; every test file gets a fresh copy of it.

export const TEST_ROOT_ENV = "TEST_ROOT";

export function testRoot(): string {
  const root = process.env[TEST_ROOT_ENV];
  if (!root) throw new Error("TEST_ROOT is not set: run the tests through jest (global-setup sets it)");
  return root;
}

export function sqliteTemplate(): string {
  return join(testRoot(), "template.sqlite3");
}

/** A fresh, migrated SQLite database file; returns its DATABASE_URL. */
export function freshSqliteUrl(): string {
  const dir = join(testRoot(), randomUUID());
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "db.sqlite3");
  copyFileSync(sqliteTemplate(), file);
  return `file:${file}`;
}
