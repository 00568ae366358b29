import Sqlite from "better-sqlite3";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "pg";
import { ROOT, project } from "./project";

// A fresh database per run: one seeded template, then an identical copy for
// each server (ours, the baseline, the round-trip pass), so every server
// starts from the same rows.

export type Provider = "sqlite" | "postgresql";

export const PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
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
  /** Added to every name, so two runs never collide. */
  runId: string;
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
  /** A fresh DATABASE_URL holding the seed; `label` names the copy. */
  copy(label: string): Promise<string>;
  /** Removes every database this seed made. */
  drop(): Promise<void>;
}

export async function seed(opts: SeedOptions): Promise<Seeded> {
  const log = opts.log ?? (() => undefined);
  const { databaseFromUrl } = project.databaseUrl();
  const dir = join(ROOT, "bench", "data", opts.runId);
  const pgName = (label: string) => `bench_${opts.runId}_${label}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const pgUrl = (name: string) => PG_ADMIN_URL.replace(/\/postgres$/, `/${name}`);
  const made: string[] = [];

  let templateUrl: string;
  if (opts.provider === "sqlite") {
    mkdirSync(dir, { recursive: true });
    templateUrl = `file:${join(dir, "template.sqlite3")}`;
  } else {
    await adminQuery(`CREATE DATABASE "${pgName("template")}"`);
    made.push(pgName("template"));
    templateUrl = pgUrl(pgName("template"));
  }
  const database = databaseFromUrl(templateUrl);
  const started = Date.now();
  await project.migrate().migrate(database);

  const { connect } = project.prisma();
  const { generateKey, digestKey, keyPrefix } = project.crypto();
  const db = connect(database);
  const keys: string[] = [];
  const usernames: string[] = [];
  let studentIds: Seeded["studentIds"];
  try {
    // One argon2id hash, with the server's own parameters, shared by every user.
    const password = await project.passwords().hashPassword(PASSWORD);
    for (let i = 1; i <= opts.users; i++) usernames.push(`bench-user-${String(i).padStart(5, "0")}`);
    await db.prisma.user.createMany({
      data: usernames.map((username) => ({ username, email: `${username}@example.com`, password })),
    });
    const users = await db.prisma.user.findMany({ select: { id: true }, orderBy: { id: "asc" } });
    const tokens = users.map((u) => {
      const key = generateKey();
      keys.push(key);
      return { digest: digestKey(key), prefix: keyPrefix(key), name: "bench", userId: u.id };
    });
    await db.prisma.token.createMany({ data: tokens });
    const students = Array.from({ length: opts.students }, (_, i) => ({
      name: `Student ${String(i + 1).padStart(5, "0")}`,
      roll: i + 1,
      city: CITIES[i % CITIES.length]!,
    }));
    await db.prisma.student.createMany({ data: students });
    const range = await db.prisma.student.aggregate({ _min: { id: true }, _max: { id: true } });
    studentIds = { min: range._min.id ?? 1, max: range._max.id ?? 1 };
  } finally {
    await db.close();
  }
  if (opts.provider === "sqlite") {
    // Fold the WAL into the file so a plain copy holds every row.
    const file = new Sqlite(join(dir, "template.sqlite3"));
    file.pragma("wal_checkpoint(TRUNCATE)");
    file.close();
  }
  log(`seeded ${opts.provider}: ${opts.students} students, ${opts.users} users with keys (${Date.now() - started} ms)`);

  return {
    provider: opts.provider,
    keys,
    usernames,
    password: PASSWORD,
    studentIds,
    async copy(label) {
      if (opts.provider === "sqlite") {
        const file = join(dir, `${label}.sqlite3`);
        copyFileSync(join(dir, "template.sqlite3"), file);
        return `file:${file}`;
      }
      // PostgreSQL clones a database from a template that nobody is connected to.
      await adminQuery(`CREATE DATABASE "${pgName(label)}" TEMPLATE "${pgName("template")}"`);
      made.push(pgName(label));
      return pgUrl(pgName(label));
    },
    async drop() {
      if (opts.provider === "sqlite") rmSync(dir, { recursive: true, force: true });
      for (const name of made.reverse())
        await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
