import Sqlite from "better-sqlite3";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { undoAll, untilCleanedUp } from "./cleanup";
import { createDatabase, databaseName, describePostgres, vacuumAnalyze } from "./postgres";
import { ROOT, project } from "./project";
import type { Scope } from "../src/graphql/scopes";

// A fresh database per run: one seeded template, then an identical copy for
// each server (ours, the baseline, the round-trip pass), so every server
// starts from the same rows. PostgreSQL's server comes from the environment
// (bench/postgres.ts).

export type Provider = "sqlite" | "postgresql";

export const PASSWORD = "bench password: correct horse battery staple";
const CITIES = [
  "Kathmandu",
  "Pokhara",
  "Lalitpur",
  "Biratnagar",
  "Dharan",
  "Butwal",
  "Hetauda",
  "Janakpur",
  "Nepalgunj",
  "Bhaktapur",
];

export interface SeedOptions {
  provider: Provider;
  students: number;
  users: number;
  /** Added to every name (files, databases), so two runs never collide. */
  runId: string;
  /**
   * PostgreSQL: a migrated database on the same server whose schema the seed
   * starts from (CREATE DATABASE ... TEMPLATE), instead of migrating an empty
   * one; pending migrations still run. The tests pass theirs.
   */
  postgresSchemaFrom?: string | null;
  log?: (line: string) => void;
}

export interface Seeded {
  provider: Provider;
  /** One key per user, as the client sends it. */
  keys: string[];
  usernames: string[];
  password: string;
  /** Student ids present in the seed. */
  studentIds: { min: number; max: number };
  /**
   * One more key per user, in `usernames`' order, limited to `scopes` (null:
   * all the user may), written into the seed as its own keys are. Before the
   * first copy only: a copy holds the keys the seed had when it was made.
   */
  mintKeys(name: string, scopes: readonly Scope[] | null): Promise<string[]>;
  /** A fresh DATABASE_URL holding the seed; `label` names the copy. */
  copy(label: string): Promise<string>;
  /** Removes every database (or file) this seed made. */
  drop(): Promise<void>;
}

export async function seed(opts: SeedOptions): Promise<Seeded> {
  const log = opts.log ?? (() => undefined);
  const dir = join(ROOT, "bench", "data", opts.runId);
  // Each undo is registered before what it undoes exists (bench/cleanup.ts).
  const undo: (() => Promise<void>)[] = [];
  const drop = () => undoAll(undo, log);

  let templateUrl: string;
  let templateName = "";
  try {
    if (opts.provider === "sqlite") {
      undo.push(untilCleanedUp(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true })));
      mkdirSync(dir, { recursive: true });
      templateUrl = `file:${join(dir, "template.sqlite3")}`;
    } else {
      const template = await createDatabase(databaseName(opts.runId, "template"), opts.postgresSchemaFrom ?? undefined);
      undo.push(template.drop);
      templateName = template.name;
      templateUrl = template.url;
      const server = describePostgres(template.url);
      log(
        `PostgreSQL: the bench's databases are ${databaseName(opts.runId, "")}* on ${server.slice(0, server.indexOf("/"))}`,
      );
    }
    const rows = await fill(opts, templateUrl, dir, log);
    let copied = false;
    let vacuumed = false;
    return {
      ...rows,
      provider: opts.provider,
      password: PASSWORD,
      async mintKeys(name, scopes) {
        if (copied) throw new Error("bench: keys are minted into the seed before its first copy");
        return withTemplate(opts, templateUrl, dir, async (db) => {
          const users = await db.kysely.selectFrom("User").select(["id", "username"]).execute();
          const ids = new Map(users.map((u) => [u.username, u.id]));
          return insertKeys(
            db,
            rows.usernames.map((u) => ids.get(u)!),
            { name, scopes },
          );
        });
      },
      async copy(label) {
        copied = true;
        if (opts.provider === "sqlite") {
          const file = join(dir, `${label}.sqlite3`);
          copyFileSync(join(dir, "template.sqlite3"), file);
          return `file:${file}`;
        }
        if (!vacuumed) {
          await vacuumAnalyze(templateUrl);
          vacuumed = true;
        }
        // PostgreSQL clones a database from a template that nobody is connected to.
        const copy = await createDatabase(databaseName(opts.runId, label), templateName);
        undo.push(copy.drop);
        return copy.url;
      },
      drop,
    };
  } catch (e) {
    await drop();
    throw e;
  }
}

/** Migrates the template and writes the users, their keys and the students. */
async function fill(
  opts: SeedOptions,
  templateUrl: string,
  dir: string,
  log: (line: string) => void,
): Promise<Pick<Seeded, "keys" | "usernames" | "studentIds">> {
  const started = Date.now();
  await project.migrate().migrate(project.databaseUrl().databaseFromUrl(templateUrl));
  const usernames: string[] = [];
  for (let i = 1; i <= opts.users; i++) usernames.push(`bench-user-${String(i).padStart(5, "0")}`);
  const { keys, studentIds } = await withTemplate(opts, templateUrl, dir, async (db) => {
    // One argon2id hash, with the server's own parameters, shared by every user.
    const password = await project.passwords().hashPassword(PASSWORD);
    const now = new Date();
    const users = [];
    // In batches: SQLite binds at most 32,766 parameters per statement.
    for (let i = 0; i < usernames.length; i += 1000) {
      const batch = usernames.slice(i, i + 1000);
      users.push(
        ...(await db.kysely
          .insertInto("User")
          .values(batch.map((username) => ({ username, email: `${username}@example.com`, password, dateJoined: now })))
          .returning("id")
          .execute()),
      );
    }
    const keys = await insertKeys(
      db,
      users.map((u) => u.id),
      { name: "bench", scopes: null },
    );
    const students = Array.from({ length: opts.students }, (_, i) => ({
      name: `Student ${String(i + 1).padStart(5, "0")}`,
      roll: i + 1,
      city: CITIES[i % CITIES.length]!,
    }));
    for (let i = 0; i < students.length; i += 1000) {
      await db.kysely
        .insertInto("Student")
        .values(students.slice(i, i + 1000).map((s) => ({ ...s, createdAt: now, updatedAt: now })))
        .execute();
    }
    const range = await db.kysely
      .selectFrom("Student")
      .select((eb) => [eb.fn.min("id").as("min"), eb.fn.max("id").as("max")])
      .executeTakeFirstOrThrow();
    return { keys, studentIds: { min: range.min ?? 1, max: range.max ?? 1 } };
  });
  log(`seeded ${opts.provider}: ${opts.students} students, ${opts.users} users with keys (${Date.now() - started} ms)`);

  return { keys, usernames, studentIds };
}

type Handle = ReturnType<ReturnType<typeof project.database>["openDatabase"]>;

/** `work` on the template, which is closed afterwards (and on SQLite folded into one file) so it copies whole. */
async function withTemplate<T>(
  opts: SeedOptions,
  templateUrl: string,
  dir: string,
  work: (db: Handle) => Promise<T>,
): Promise<T> {
  const db = project.database().openDatabase(project.databaseUrl().databaseFromUrl(templateUrl));
  let result: T;
  try {
    result = await work(db);
  } finally {
    await db.close();
  }
  if (opts.provider === "sqlite") {
    // Fold the WAL into the file so a plain copy holds every row.
    const file = new Sqlite(join(dir, "template.sqlite3"));
    file.pragma("wal_checkpoint(TRUNCATE)");
    file.close();
  }
  return result;
}

/**
 * A key for each user, in order, as the product stores one (auth/token.service.ts):
 * its digest and prefix, never the key, and its scopes as the Token table keeps
 * them (auth/scope-column.ts). Never expires, as the seed's keys never did.
 */
async function insertKeys(
  db: Handle,
  userIds: readonly number[],
  terms: { name: string; scopes: readonly Scope[] | null },
): Promise<string[]> {
  const { generateKey, digestKey, keyPrefix } = project.crypto();
  const scopes = project.scopeColumn().scopesToColumn(terms.scopes);
  const now = new Date();
  const keys: string[] = [];
  const rows = userIds.map((userId) => {
    const key = generateKey();
    keys.push(key);
    return { digest: digestKey(key), prefix: keyPrefix(key), name: terms.name, userId, scopes, createdAt: now };
  });
  for (let i = 0; i < rows.length; i += 1000) {
    await db.kysely
      .insertInto("Token")
      .values(rows.slice(i, i + 1000))
      .execute();
  }
  return keys;
}
