import "reflect-metadata";
import Database from "better-sqlite3";
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";
import { digestKey } from "../../../src/auth/crypto";
import { databaseFromUrl } from "../../../src/db/database-url";
import { openDatabase, type DatabaseHandle } from "../../../src/db/database";
import { countRows } from "../../support/rows";
import { emailField } from "../../../src/users/user.rules";
import { ROOT, ensureBuilt, runNode } from "../../support/build";
import { freshDatabaseUrl, testDatabase, testRoot } from "../../support/databases";
import { auth, startServer } from "../../support/server";
import { STUDENTS, describeWithDjango, makeDjangoSqlite, sourceCopy, type DjangoDatabase } from "./django-fixture";

// `manage import-django` against sources a production Django database can
// become: fields the API would refuse, rows repeated once constraints are
// gone, a FIFO instead of a file, and a source Django writes to while the
// import reads it. Each on the target the suite runs (SQLite or PostgreSQL).

jest.setTimeout(180_000);

const importDjango = (databaseUrl: string, args: string[]) =>
  runNode("dist/manage/manage.js", ["import-django", ...args], {
    env: { DATABASE_URL: databaseUrl },
    timeoutMs: 120_000,
  });

const SKIP_NOTE = " (--on-conflict skip leaves such rows out)";
/** The refused rows' lines of a `skip` run (not the "skipped: N" count). */
const listed = (stdout: string) => stdout.split("\n").filter((l) => /^skipped: (user|key|student) /.test(l));

async function userCount(db: DatabaseHandle["kysely"]): Promise<number> {
  const row = await db
    .selectFrom("User")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function target<T>(url: string, fn: (db: DatabaseHandle["kysely"]) => Promise<T>): Promise<T> {
  const db = openDatabase(databaseFromUrl(url));
  try {
    return await fn(db.kysely);
  } finally {
    await db.close();
  }
}

const idOf = (file: string, username: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT id FROM auth_user WHERE username = ?").get(username) as { id: number }).id;
  } finally {
    db.close();
  }
};

describeWithDjango("import-django refuses what the API would refuse", () => {
  let django: DjangoDatabase;
  const JOHN_RULES =
    "breaks the username rules: Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";

  beforeAll(async () => {
    await ensureBuilt();
    django = await makeDjangoSqlite();
  }, 600_000);

  describe("fields: a 100 KB email, an HTML email, NUL in an email and in a student's name", () => {
    let file: string;
    let lines: string[];

    beforeAll(() => {
      file = sourceCopy(django, (db) => {
        const setEmail = db.prepare("UPDATE auth_user SET email = ? WHERE username = ?");
        setEmail.run(`${"x".repeat(100 * 1024)}@example.com`, "amit");
        setEmail.run("<script>alert(1)</script>@example.com", "José");
        setEmail.run("chief\0@example.com", "chief");
        db.prepare("UPDATE api_student SET name = ? WHERE roll = (SELECT min(roll) FROM api_student)").run("Ali\0ce");
      });
      const db = new Database(file, { readonly: true });
      const roll = (db.prepare("SELECT min(roll) AS r FROM api_student").get() as { r: number }).r;
      db.close();
      lines = [
        `user #${idOf(file, "amit")} "amit": email: Ensure this field has no more than 254 characters.`,
        `user #${idOf(file, "José")} "José": email: Enter a valid email address.`,
        `user #${idOf(file, "chief")} "chief": email: Null characters are not allowed.`,
        `user #${idOf(file, "john doe")} "john doe": ${JOHN_RULES}`,
        `student roll ${roll}: name: Null characters are not allowed.`,
      ];
    });

    it("fail (the default) and the dry run: one line naming every refused row, nothing written", async () => {
      const url = await freshDatabaseUrl();
      for (const extra of [[], ["--dry-run"]]) {
        const res = await importDjango(url, [file, ...extra]);
        expect(res.code).toBe(1);
        expect(res.stdout).toBe("");
        expect(res.stderr).toBe(`Error: 5 rows cannot be imported: ${[...lines].sort(byRow).join("; ")}${SKIP_NOTE}\n`);
      }
      expect(await target(url, (db) => userCount(db))).toBe(0);
    });

    it("skip: each refused row listed on one line, the rest imported, every stored email valid and no NUL stored", async () => {
      const url = await freshDatabaseUrl();
      const dry = await importDjango(url, [file, "--dry-run", "--on-conflict", "skip"]);
      const res = await importDjango(url, [file, "--on-conflict", "skip"]);
      expect(res.stderr).toBe("");
      expect(res.code).toBe(0);
      expect(listed(res.stdout).sort()).toEqual(lines.map((l) => `skipped: ${l}`).sort());
      // 4 users refused (and so their 4 keys), 1 student.
      expect(res.stdout).toContain(
        `users: 6\nkeys: 5\nstudents: ${STUDENTS - 1}\nskipped: 9 (4 users, 4 keys, 1 students)\n`,
      );
      // The dry run finds the same rows.
      expect(listed(dry.stdout)).toEqual(listed(res.stdout));
      await target(url, async (db) => {
        const users = await db.selectFrom("User").select(["username", "email"]).execute();
        expect(users.map((u) => u.username).sort()).not.toContain("amit");
        for (const u of users) expect(emailField.safeParse(u.email)).toMatchObject({ success: true, data: u.email });
        const students = await db.selectFrom("Student").select(["name", "city"]).execute();
        expect(students).toHaveLength(STUDENTS - 1);
        for (const s of students) expect(`${s.name}${s.city}`).not.toContain("\0");
      });
    });
  });

  describe("rows repeated in a source whose unique constraints are gone", () => {
    let file: string;
    let amitKey: string;
    const twiceKey = randomBytes(20).toString("hex");
    const dupKeys = [randomBytes(20).toString("hex"), randomBytes(20).toString("hex")];

    beforeAll(() => {
      amitKey = django.keys.amit!;
      file = sourceCopy(django, (db) => {
        // As a DBA would drop them on SQLite: copies of the tables without their UNIQUE and PRIMARY KEY.
        db.pragma("foreign_keys = OFF");
        for (const table of ["auth_user", "authtoken_token"]) {
          db.exec(
            `CREATE TABLE loose AS SELECT * FROM ${table}; DROP TABLE ${table}; ALTER TABLE loose RENAME TO ${table};`,
          );
        }
        const next = () => (db.prepare("SELECT max(id) + 1 AS id FROM auth_user").get() as { id: number }).id;
        const hash = (
          db.prepare("SELECT password FROM auth_user WHERE username = 'amit'").get() as { password: string }
        ).password;
        const addUser = (username: string) => {
          const id = next();
          db.prepare(
            `INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
             VALUES (?, ?, 0, ?, '', '', '', 0, 1, '2026-11-30 06:00:00.123456')`,
          ).run(id, hash, username);
          return id;
        };
        const addKey = (key: string, userId: number) =>
          db
            .prepare("INSERT INTO authtoken_token (key, created, user_id) VALUES (?, '2026-11-30 06:00:01', ?)")
            .run(key, userId);
        addKey(dupKeys[0]!, addUser("dup"));
        addKey(dupKeys[1]!, addUser("dup"));
        addKey(amitKey, addUser("sharer"));
        const twice = addUser("twice");
        addKey(twiceKey, twice);
        addKey(twiceKey, twice);
      });
    });

    it("fail and the dry run: one line naming each row, no Prisma trace, nothing written", async () => {
      const url = await freshDatabaseUrl();
      const db = new Database(file, { readonly: true });
      const dups = (
        db.prepare("SELECT id FROM auth_user WHERE username = 'dup' ORDER BY id").all() as { id: number }[]
      ).map((r) => r.id);
      db.close();
      const amit = `user #${idOf(file, "amit")} "amit"`;
      const expected = [
        `user #${dups[0]} "dup": the username appears more than once in the source`,
        `user #${dups[1]} "dup": the username appears more than once in the source`,
        `user #${idOf(file, "john doe")} "john doe": ${JOHN_RULES}`,
        `key ${amitKey.slice(0, 8)}… of ${amit}: the same key belongs to 2 users in the source`,
        `key ${amitKey.slice(0, 8)}… of user #${idOf(file, "sharer")} "sharer": the same key belongs to 2 users in the source`,
        `key ${twiceKey.slice(0, 8)}… of user #${idOf(file, "twice")} "twice": the key appears 2 times in the source`,
        `key ${twiceKey.slice(0, 8)}… of user #${idOf(file, "twice")} "twice": the key appears 2 times in the source`,
      ];
      for (const extra of [[], ["--dry-run"]]) {
        const res = await importDjango(url, [file, ...extra]);
        expect(res.code).toBe(1);
        expect(res.stdout).toBe("");
        expect(res.stderr.split("\n")).toHaveLength(2);
        const named = res.stderr.replace(/^Error: 7 rows cannot be imported: /, "").replace(`${SKIP_NOTE}\n`, "");
        expect(named.split("; ").sort()).toEqual([...expected].sort());
      }
      expect(await target(url, (t) => userCount(t))).toBe(0);
    });

    it("skip: the repeated rows are left out and listed; the dry run lists the same; nobody gets a shared key", async () => {
      const url = await freshDatabaseUrl();
      const dry = await importDjango(url, [file, "--dry-run", "--on-conflict", "skip"]);
      const res = await importDjango(url, [file, "--on-conflict", "skip"]);
      expect(res.stderr).toBe("");
      expect(res.code).toBe(0);
      expect(listed(res.stdout)).toHaveLength(7);
      expect(listed(dry.stdout)).toEqual(listed(res.stdout));
      // 9 of Django's users, sharer and twice; 8 keys less amit's.
      expect(res.stdout).toContain(`users: 11\nkeys: 7\n`);
      const server = await startServer({ DATABASE_URL: url });
      try {
        for (const key of [amitKey, twiceKey, ...dupKeys]) {
          expect((await server.gql(`{ me { username } }`, undefined, auth(key))).body.errors?.[0]?.message).toBe(
            "Invalid token.",
          );
        }
        expect((await server.gql(`{ me { username } }`, undefined, auth(django.keys.admin!))).body.data).toEqual({
          me: { username: "admin" },
        });
        expect(await countRows(server.app.db, "User", { username: "dup" })).toBe(0);
      } finally {
        await server.close();
      }
    });
  });

  it("on a terminal stderr shows the progress, redrawn in place; piped, it shows nothing", async () => {
    const url = await freshDatabaseUrl();
    // util-linux's script(1) gives the command a pseudo-terminal, as an operator's shell would.
    const command = [
      process.execPath,
      "dist/manage/manage.js",
      "import-django",
      django.file,
      "--dry-run",
      "--on-conflict",
      "skip",
    ];
    const { stdout } = await promisify(execFile)(
      "script",
      ["-qefc", command.map((a) => `'${a}'`).join(" "), "/dev/null"],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: "test", DATABASE_URL: url },
        timeout: 120_000,
      },
    );
    expect(stdout).toContain("\r\x1b[2Kusers: 10 of 10 (100%)");
    expect(stdout).toContain("users: 9\r\n");
    const piped = await importDjango(url, [django.file, "--dry-run", "--on-conflict", "skip"]);
    expect(piped.stderr).toBe("");
    expect(piped.stdout).not.toContain("\r");
  });

  it("a FIFO or a directory as the source is refused at once, with one line", async () => {
    const url = await freshDatabaseUrl();
    const dir = join(testRoot(), `fifo-${randomBytes(4).toString("hex")}`);
    mkdirSync(dir);
    const fifo = join(dir, "db.sqlite3");
    execFileSync("mkfifo", [fifo]);
    for (const [source, kind] of [
      [fifo, "a FIFO"],
      [dir, "a directory"],
    ] as const) {
      // Opening a FIFO waits for a writer: before the check this ran until killed (code null).
      const res = await runNode("dist/manage/manage.js", ["import-django", source], {
        env: { DATABASE_URL: url },
        timeoutMs: 30_000,
      });
      expect(res).toEqual({
        code: 1,
        stdout: "",
        stderr: `Error: cannot open the source: ${source} is not a regular file (${kind})\n`,
      });
    }
  });

  it("a source Django writes to during the import arrives as one snapshot: users deleted between pages keep their keys", async () => {
    const url = await freshDatabaseUrl();
    const EXTRA = 2500; // more than two pages of users
    const file = sourceCopy(django, (db) => {
      db.pragma("journal_mode = WAL");
      const hash = (db.prepare("SELECT password FROM auth_user WHERE username = 'amit'").get() as { password: string })
        .password;
      const user = db.prepare(
        `INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
         VALUES (?, 0, ?, '', '', '', 0, 1, '2026-11-30 06:00:00.123456')`,
      );
      const key = db.prepare(
        "INSERT INTO authtoken_token (key, created, user_id) VALUES (?, '2026-11-30 06:00:01', ?)",
      );
      db.transaction(() => {
        for (let i = 0; i < EXTRA; i++)
          key.run(randomBytes(20).toString("hex"), user.run(hash, `bulk${i}`).lastInsertRowid);
      })();
      db.exec("CREATE TABLE probe (at INTEGER)");
    });
    const writer = new Database(file);
    writer.pragma("busy_timeout = 0");
    // The last users, in the import's last page; Django deletes their keys with them.
    const doomed = writer
      .prepare(
        "SELECT u.id, u.username, t.key FROM auth_user u JOIN authtoken_token t ON t.user_id = u.id ORDER BY u.id DESC LIMIT 11",
      )
      .all() as { id: number; username: string; key: string }[];

    // Hold the target's write lock, so the import stops at its first page's insert, between two reads of the source.
    const release = await holdWriteLock(url);
    const child = spawn(
      process.execPath,
      [join(ROOT, "dist/manage/manage.js"), "import-django", file, "--on-conflict", "skip"],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: "test", DATABASE_URL: url },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    let running = true;
    void exited.then(() => (running = false));

    // The import holds a snapshot once a checkpoint cannot pass a reader
    // older than the probe's last commit.
    let held = false;
    const deadline = Date.now() + 60_000;
    while (running && Date.now() < deadline) {
      writer.prepare("INSERT INTO probe VALUES (?)").run(Date.now());
      const [cp] = writer.pragma("wal_checkpoint(TRUNCATE)") as { busy: number; log: number; checkpointed: number }[];
      if (cp!.busy === 1 && cp!.checkpointed < cp!.log) {
        held = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    let runningAtCommit: boolean;
    try {
      expect({ held, running }).toEqual({ held: true, running: true });
      writer.transaction(() => {
        for (const u of doomed) {
          writer.prepare("DELETE FROM authtoken_token WHERE user_id = ?").run(u.id);
          writer.prepare("DELETE FROM auth_user WHERE id = ?").run(u.id);
        }
      })();
      runningAtCommit = running;
    } finally {
      await release();
    }
    // The race happened: the import was still running (blocked before its next read) when the deletion committed.
    expect(runningAtCommit).toBe(true);
    expect(await exited).toBe(0);
    writer.close();
    expect(out).toContain(`users: ${9 + EXTRA}\nkeys: ${8 + EXTRA}\n`);
    const digests = doomed.map((u) => digestKey(u.key));
    await target(url, async (db) => {
      const rows = await db
        .selectFrom("User")
        .select("id")
        .where(
          "username",
          "in",
          doomed.map((u) => u.username),
        )
        .execute();
      expect(rows).toHaveLength(doomed.length);
      const stored = await db
        .selectFrom("Token")
        .select("digest")
        .where(
          "userId",
          "in",
          rows.map((r) => r.id),
        )
        .execute();
      expect(stored.length).toBe(doomed.length);
      expect(stored.map((t) => t.digest).sort()).toEqual([...digests].sort());
    });
  });
});

/** Orders "user #N" before keys and students, by N, as the import meets them. */
function byRow(a: string, b: string): number {
  const rank = (s: string) => [
    s.startsWith("user") ? 0 : s.startsWith("key") ? 1 : 2,
    Number(/#(\d+)/.exec(s)?.[1] ?? 0),
  ];
  const [ra, na] = rank(a);
  const [rb, nb] = rank(b);
  return ra! - rb! || na! - nb!;
}

/** Takes the target's write lock from this process; the import's inserts wait until `release`. */
async function holdWriteLock(url: string): Promise<() => Promise<void>> {
  if (testDatabase() === "sqlite") {
    const { file } = databaseFromUrl(url) as { file: string };
    const db = new Database(file);
    db.exec("BEGIN IMMEDIATE");
    return async () => {
      db.exec("COMMIT");
      db.close();
    };
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query(`BEGIN; LOCK TABLE "User" IN EXCLUSIVE MODE`);
  return async () => {
    await client.query("COMMIT");
    await client.end();
  };
}
