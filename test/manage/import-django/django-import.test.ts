import { countRows, findRows, findRow } from "../../support/rows";
import Database from "better-sqlite3";
import { writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { databaseFromUrl } from "../../../src/db/database-url";
import { openDatabase } from "../../../src/db/database";
import { ensureBuilt, runNode } from "../../support/build";
import { emptyPostgresUrl, freshDatabaseUrl, testDatabase, testRoot } from "../../support/databases";
import { expectError } from "../../support/expect";
import { POSTGRES_ONLY, describeSkipped } from "../../support/providers";
import { auth, startServer, type TestServer } from "../../support/server";
import {
  PASSWORDS,
  STUDENTS,
  describeWithDjango,
  makeDjangoPostgres,
  makeDjangoSqlite,
  sourceCopy,
  type DjangoDatabase,
} from "./django-fixture";

// `manage import-django` as a team moving off DRF runs it: a subprocess on a
// real Django database made by the anchor and Django's manage.py, then the
// real server with the original passwords and keys.

jest.setTimeout(180_000);

const importDjango = (databaseUrl: string, args: string[]) =>
  runNode("dist/manage/manage.js", ["import-django", ...args], {
    env: { DATABASE_URL: databaseUrl },
    timeoutMs: 120_000,
  });

const OBTAIN = `mutation ($username: String!, $password: String!) { obtainToken(username: $username, password: $password) { token user { username } } }`;
const ME = `{ me { username isStaff isActive } }`;
const CHANGE = `mutation ($old: String!, $new: String!) { changePassword(oldPassword: $old, newPassword: $new) { token } }`;
const BAD_LOGIN = { code: "BAD_USER_INPUT", message: "Unable to log in with provided credentials." };

/** How many rows the target holds, through our own client. */
async function rowCounts(url: string) {
  const db = openDatabase(databaseFromUrl(url));
  try {
    return {
      users: await countRows(db, "User"),
      tokens: await countRows(db, "Token"),
      students: await countRows(db, "Student"),
    };
  } finally {
    await db.close();
  }
}
const EMPTY = { users: 0, tokens: 0, students: 0 };

const RULES = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
const countLines = (users: number, keys: number, students: number, skipped: string) =>
  `users: ${users}\nkeys: ${keys}\nstudents: ${students}\nskipped: ${skipped}\n`;
const RESET_LINES =
  "password must be reset: 1 (a Django hasher this server does not check, or costs beyond its bounds)\n" +
  "unusable passwords: 1 (no password login, as in Django)\n";

describeWithDjango("import-django from the anchor's SQLite database", () => {
  let django: DjangoDatabase;

  /** How a refused row of "john doe" is named: by Django's id and username. */
  let JOHN: string;

  beforeAll(async () => {
    await ensureBuilt();
    django = await makeDjangoSqlite();
    const source = new Database(django.file, { readonly: true });
    JOHN = `user #${(source.prepare("SELECT id FROM auth_user WHERE username = 'john doe'").get() as { id: number }).id} "john doe"`;
    source.close();
  }, 600_000);

  it("a dry run prints the counts and writes nothing", async () => {
    const url = await freshDatabaseUrl();
    const res = await importDjango(url, [django.file, "--dry-run", "--on-conflict", "skip"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(
      `skipped: ${JOHN}: breaks the username rules: ${RULES}\n` +
        `Dry run: nothing was written. From SQLite at ${django.file} it would import:\n` +
        countLines(9, 8, STUDENTS, "2 (1 users, 1 keys, 0 students)") +
        RESET_LINES,
    );
    expect(await rowCounts(url)).toEqual(EMPTY);
  });

  it("by default the first conflict stops it with one line, nothing written: a username Django let in and our rules do not", async () => {
    const url = await freshDatabaseUrl();
    for (const extra of [[], ["--dry-run"]]) {
      const res = await importDjango(url, [django.file, ...extra]);
      expect(res).toEqual({
        code: 1,
        stdout: "",
        stderr: `Error: ${JOHN}: breaks the username rules: ${RULES} (--on-conflict skip leaves such rows out)\n`,
      });
    }
    expect(await rowCounts(url)).toEqual(EMPTY);
  });

  describe("imported with --on-conflict skip", () => {
    let url: string;
    let server: TestServer;
    const login = (username: string, password: string) =>
      server.gql<{ obtainToken: { token: string; user: { username: string } } }>(OBTAIN, { username, password });
    const stored = async (username: string) => (await findRow(server.app.db, "User", { username })).password;

    beforeAll(async () => {
      url = await freshDatabaseUrl();
      const res = await importDjango(url, [django.file, "--on-conflict", "skip"]);
      expect(res.stderr).toBe("");
      expect(res.stdout).toBe(
        `skipped: ${JOHN}: breaks the username rules: ${RULES}\n` +
          `Imported from SQLite at ${django.file}:\n` +
          countLines(9, 8, STUDENTS, "2 (1 users, 1 keys, 0 students)") +
          RESET_LINES,
      );
      expect(res.code).toBe(0);
      server = await startServer({ DATABASE_URL: url, LOGIN_RATE: "1000/min" });
    }, 180_000);
    afterAll(() => server?.close());

    it("keeps the users' fields: staff (superuser counts), active, email, dates", async () => {
      const source = new Database(django.file, { readonly: true });
      const rows = source
        .prepare("SELECT username, email, date_joined, is_staff, is_superuser, is_active FROM auth_user")
        .all() as {
        username: string;
        email: string;
        date_joined: string;
        is_staff: number;
        is_superuser: number;
        is_active: number;
      }[];
      source.close();
      const users = await findRows(server.app.db, "User");
      expect(users.map((u) => u.username)).toEqual(rows.map((r) => r.username).filter((n) => n !== "john doe"));
      for (const user of users) {
        const row = rows.find((r) => r.username === user.username)!;
        expect(user.email).toBe(row.email);
        expect(user.isStaff).toBe(row.is_staff === 1 || row.is_superuser === 1);
        expect(user.isActive).toBe(row.is_active === 1);
        // Django writes UTC with microseconds; we keep milliseconds.
        expect(user.dateJoined.toISOString()).toBe(`${row.date_joined.replace(" ", "T").slice(0, 23)}Z`);
      }
      expect(users.find((u) => u.username === "chief")!.isStaff).toBe(true);
      expect(users.find((u) => u.username === "sleeper")!.isActive).toBe(false);
    });

    it("the original keys work, with the same Authorization: Token header", async () => {
      for (const [username, staff] of [
        ["admin", true],
        ["amit", false],
        ["José", false],
        ["Ωmega_用户", false],
        ["chief", true],
      ] as const) {
        const res = await server.gql(ME, undefined, auth(django.keys[username]!));
        expect(res.body).toEqual({ data: { me: { username, isStaff: staff, isActive: true } } });
      }
      expectError(await server.gql(ME, undefined, auth(django.keys.sleeper!)), {
        code: "UNAUTHENTICATED",
        message: "User inactive or deleted.",
      });
      // The key of the user left out is not anyone's key here.
      expectError(await server.gql(ME, undefined, auth(django.keys["john doe"]!)), {
        code: "UNAUTHENTICATED",
        message: "Invalid token.",
      });
      const amit = await findRow(server.app.db, "User", { username: "amit" });
      const row = await findRow(server.app.db, "Token", { userId: amit.id });
      // A DRF key does all its user may: no scopes, as before keys had any.
      expect(row).toMatchObject({ name: "imported", prefix: django.keys.amit!.slice(0, 8), scopes: null });
      const source = new Database(django.file, { readonly: true });
      const created = (
        source.prepare("SELECT created FROM authtoken_token WHERE key = ?").get(django.keys.amit) as { created: string }
      ).created;
      source.close();
      expect(row.createdAt.toISOString()).toBe(`${created.replace(" ", "T").slice(0, 23)}Z`);
      // Only the digest is stored, as for our own keys.
      const digests = await findRows(server.app.db, "Token");
      expect(digests.map((t) => t.digest)).not.toContain(django.keys.amit);
    });

    it("the original passwords log in (PBKDF2-SHA256 and -SHA1, unicode), and the first login replaces the hash by argon2id", async () => {
      for (const username of ["admin", "amit", "José", "Ωmega_用户", "chief", "oldsha1"] as const) {
        const before = await stored(username);
        expect(before).toMatch(username === "oldsha1" ? /^pbkdf2_sha1\$/ : /^pbkdf2_sha256\$260000\$/);
        expectError(await login(username, `${PASSWORDS[username]}x`), BAD_LOGIN);
        expect(await stored(username)).toBe(before);
        const res = await login(username, PASSWORDS[username]);
        expect(res.body.errors).toBeUndefined();
        expect(res.body.data!.obtainToken.user.username).toBe(username);
        expect(await stored(username)).toMatch(/^\$argon2id\$/);
        // The new hash checks the same password; the issued key works.
        expect((await login(username, PASSWORDS[username])).body.errors).toBeUndefined();
        const me = await server.gql(ME, undefined, auth(res.body.data!.obtainToken.token));
        expect(me.body.data?.me?.username).toBe(username);
      }
    });

    it("no login for the inactive user, the unusable password, the hash we cannot check, the user left out", async () => {
      for (const [username, password] of [
        ["sleeper", PASSWORDS.sleeper],
        ["nopass", ""],
        ["nopass", "!"],
        ["legacy", PASSWORDS.legacy],
        ["john doe", PASSWORDS["john doe"]],
      ] as const) {
        const res = await login(username, password);
        if (password === "") expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        else expectError(res, BAD_LOGIN);
      }
      expect(await stored("nopass")).toMatch(/^!/);
      expect(await stored("legacy")).toMatch(/^md5\$/);
    });

    it("re-running with skip imports nothing more; with fail it names the first conflict", async () => {
      const before = await rowCounts(url);
      const again = await importDjango(url, [django.file, "--on-conflict", "skip"]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(
        countLines(0, 0, 0, `${10 + 9 + STUDENTS} (10 users, 9 keys, ${STUDENTS} students)`),
      );
      // With fail, one line names the refused rows: the first ten, then how many more.
      const fail = await importDjango(url, [django.file]);
      expect(fail.code).toBe(1);
      expect(fail.stdout).toBe("");
      expect(fail.stderr).toMatch(
        new RegExp(
          `^Error: ${10 + STUDENTS} rows cannot be imported: user #1 "admin" already exists; user #2 "amit" already exists; ` +
            `[^\n]*; and ${STUDENTS} more \\(--on-conflict skip leaves such rows out\\)\n$`,
        ),
      );
      expect(await rowCounts(url)).toEqual(before);
    });
  });

  it("changePassword accepts the Django password, with the original key", async () => {
    const url = await freshDatabaseUrl();
    expect((await importDjango(url, [django.file, "--on-conflict", "skip"])).code).toBe(0);
    const server = await startServer({ DATABASE_URL: url });
    try {
      const wrong = await server.gql(CHANGE, { old: "not it", new: "Brand-new-pass-456" }, auth(django.keys.amit!));
      expect(wrong.body.errors?.[0]?.extensions?.fields).toEqual({
        oldPassword: ["Your old password was entered incorrectly. Please enter it again."],
      });
      const res = await server.gql<{ changePassword: { token: string } }>(
        CHANGE,
        { old: PASSWORDS.amit, new: "Brand-new-pass-456" },
        auth(django.keys.amit!),
      );
      expect(res.body.errors).toBeUndefined();
      const user = await findRow(server.app.db, "User", { username: "amit" });
      expect(user.password).toMatch(/^\$argon2id\$/);
      expect(
        (await server.gql(OBTAIN, { username: "amit", password: "Brand-new-pass-456" })).body.errors,
      ).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it("a second run with skip imports only what is new", async () => {
    const url = await freshDatabaseUrl();
    expect((await importDjango(url, [django.file, "--on-conflict", "skip"])).code).toBe(0);
    const key = randomBytes(20).toString("hex");
    const file = sourceCopy(django, (db) => {
      // A newcomer with amit's password, a key and a student, as Django would have written them.
      const hash = (db.prepare("SELECT password FROM auth_user WHERE username = 'amit'").get() as { password: string })
        .password;
      const { lastInsertRowid } = db
        .prepare(
          `INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
           VALUES (?, 0, 'newcomer', '', '', 'new@example.com', 0, 1, '2026-11-30 06:00:00.123456')`,
        )
        .run(hash);
      db.prepare("INSERT INTO authtoken_token (key, created, user_id) VALUES (?, '2026-11-30 06:00:01', ?)").run(
        key,
        lastInsertRowid,
      );
      db.prepare(
        "INSERT INTO api_student (name, roll, city, created_at, updated_at) VALUES ('Zoë', 9999, 'Pune', '2026-11-30 06:00:00', '2026-11-30 06:00:00')",
      ).run();
    });
    const before = await rowCounts(url);
    const res = await importDjango(url, [file, "--on-conflict", "skip"]);
    expect(res.stderr).toBe("");
    expect(res.stdout).toContain(countLines(1, 1, 1, `${10 + 9 + STUDENTS} (10 users, 9 keys, ${STUDENTS} students)`));
    expect(res.stdout).not.toContain("password must be reset");
    expect(await rowCounts(url)).toEqual({
      users: before.users + 1,
      tokens: before.tokens + 1,
      students: before.students + 1,
    });
    const server = await startServer({ DATABASE_URL: url });
    try {
      expect((await server.gql(ME, undefined, auth(key))).body.data).toEqual({
        me: { username: "newcomer", isStaff: false, isActive: true },
      });
      expect(
        (await server.gql(OBTAIN, { username: "newcomer", password: PASSWORDS.amit })).body.errors,
      ).toBeUndefined();
      const student = await findRow(server.app.db, "Student", { roll: 9999 });
      expect(student).toMatchObject({ name: "Zoë", city: "Pune" });
    } finally {
      await server.close();
    }
  });

  it("a roll that exists stops the import by default, naming it; nothing written", async () => {
    const url = await freshDatabaseUrl();
    const db = openDatabase(databaseFromUrl(url));
    await db.kysely
      .insertInto("Student")
      .values({ name: "Already here", roll: 3, city: "Ranchi", updatedAt: new Date() })
      .execute();
    await db.close();
    const file = sourceCopy(django, (db) => {
      db.prepare(
        "DELETE FROM authtoken_token WHERE user_id = (SELECT id FROM auth_user WHERE username = 'john doe')",
      ).run();
      db.prepare("DELETE FROM auth_user WHERE username = 'john doe'").run();
    });
    const res = await importDjango(url, [file]);
    expect(res).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: student roll 3 already exists (--on-conflict skip leaves such rows out)\n",
    });
    expect(await rowCounts(url)).toEqual({ users: 0, tokens: 0, students: 1 });
    // Without conflicts, the default imports everything.
    const ok = await importDjango(url, [file, "--on-conflict", "skip"]);
    expect(ok.stdout).toContain(countLines(9, 8, STUDENTS - 1, "1 (0 users, 0 keys, 1 students)"));
  });

  it("all or nothing: a source without DRF's token table, a file that is no database, a missing students table", async () => {
    const url = await freshDatabaseUrl();
    const noTokens = sourceCopy(django, (db) => db.exec("DROP TABLE authtoken_token"));
    const junk = join(testRoot(), `junk-${randomBytes(4).toString("hex")}.sqlite3`);
    writeFileSync(junk, "not a database, just text ".repeat(100));
    const cases: [string[], RegExp][] = [
      [
        [noTokens],
        /^Error: SQLite at .* has no authtoken_token table: is it a Django database with rest_framework.authtoken\?\n$/,
      ],
      [[junk, "--on-conflict", "skip"], /^Error: cannot open the source: .*junk.*: file is not a database\n$/],
      [[join(testRoot(), "nowhere.sqlite3")], /^Error: cannot open the source: no such file: .*nowhere.sqlite3\n$/],
      [
        [django.file, "--students-table", "school_pupil", "--on-conflict", "skip"],
        /^Error: SQLite at .* has no school_pupil table \(--students-table\)\n$/,
      ],
      [
        [django.file, "--students-table", "x; DROP TABLE auth_user"],
        /^Error: cannot open the source: "x; DROP TABLE auth_user" is not a table name|^Error: "x; DROP TABLE auth_user" is not a table name/,
      ],
      [
        ["postgresql://nobody@127.0.0.1:1/none"],
        /^Error: cannot open the source: PostgreSQL at 127.0.0.1:1\/none: .+\n$/,
      ],
    ];
    for (const [args, line] of cases) {
      const res = await importDjango(url, args);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe("");
      expect(res.stderr).toMatch(line);
      expect(res.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(await rowCounts(url)).toEqual(EMPTY);
  });
});

// Django migrates to PostgreSQL through psycopg2 (Debian's python3-psycopg2); the run on PostgreSQL covers it.
const describePgSource = testDatabase() === "postgresql" ? describeWithDjango : describeSkipped(POSTGRES_ONLY);
describePgSource("import-django from a Django PostgreSQL database", () => {
  it("imports the same data, and the passwords and keys work", async () => {
    await ensureBuilt();
    const sourceUrl = await emptyPostgresUrl();
    const django = await makeDjangoPostgres(sourceUrl);
    const url = await freshDatabaseUrl();
    const res = await importDjango(url, [sourceUrl, "--on-conflict", "skip"]);
    expect(res.stderr).toBe("");
    expect(res.stdout).toContain(countLines(9, 8, STUDENTS, "2 (1 users, 1 keys, 0 students)") + RESET_LINES);
    const server = await startServer({ DATABASE_URL: url });
    try {
      expect((await server.gql(ME, undefined, auth(django.keys["José"]!))).body.data).toEqual({
        me: { username: "José", isStaff: false, isActive: true },
      });
      expect((await server.gql(OBTAIN, { username: "chief", password: PASSWORDS.chief })).body.errors).toBeUndefined();
      expect((await server.gql(ME, undefined, auth(django.keys.chief!))).body.data?.me).toMatchObject({
        isStaff: true,
      });
      expect(await countRows(server.app.db, "Student")).toBe(STUDENTS);
    } finally {
      await server.close();
    }
  }, 300_000);
});
