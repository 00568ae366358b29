import "reflect-metadata";
import { Kysely, type LogEvent } from "kysely";
import { databaseFromUrl } from "../../src/db/database-url";
import { SqliteDialect } from "../../src/db/sqlite-dialect";
import type { DB } from "../../src/generated/kysely/database";
import { pageOfEvents } from "../../src/audit/audit.queries";
import { findByDigest, pageOfTokens } from "../../src/auth/token.queries";
import { listStudents, studentColumns } from "../../src/students/student.queries";
import { listUsers, storedPasswords } from "../../src/users/user.queries";
import { freshSqliteUrl } from "../support/databases";
import { describeSqlite } from "../support/providers";

// SQLite compiles a statement again, on its next run, whenever a value bound
// to it is one its planner read, and its planner reads the value bound to a
// bare `LIMIT ?` (and `OFFSET ?`), and, once ANALYZE has run, the value
// compared with an indexed column. A page statement or the key lookup
// written that way would be parsed and planned on every request (about a
// quarter of a page's time, BENCHMARKS.md). They bind those values through a
// CAST (src/db/unplanned.ts), which the planner does not read.

describeSqlite("statements SQLite keeps compiled", () => {
  let db: Kysely<DB>;
  const sent: string[] = [];
  beforeAll(() => {
    const database = databaseFromUrl(freshSqliteUrl());
    if (database.provider !== "sqlite") throw new Error("expected a SQLite URL");
    db = new Kysely<DB>({
      dialect: new SqliteDialect({ file: database.file, lockTimeoutMs: 1000 }),
      log: (event: LogEvent) => void sent.push(event.query.sql),
    });
  });
  afterAll(() => db.destroy());
  beforeEach(() => void (sent.length = 0));

  const cases: [string, () => Promise<unknown>][] = [
    [
      "students, first page",
      () =>
        listStudents(db, "sqlite", {
          terms: [],
          order: "ID_ASC",
          limit: 20,
          offset: 0,
          count: true,
          columns: studentColumns(),
        }),
    ],
    [
      "students, searched, without the count",
      () =>
        listStudents(db, "sqlite", {
          terms: ["ka"],
          order: "ID_ASC",
          limit: 5,
          offset: 10,
          count: false,
          columns: studentColumns(),
        }),
    ],
    ["users", () => listUsers(db, "sqlite", { terms: [], order: "ID_ASC", limit: 10, offset: 0 })],
    ["keys", () => pageOfTokens(db, "sqlite", { terms: [], limit: 10, offset: 0 })],
    ["audit events", () => pageOfEvents(db, { limit: 10, offset: 0 })],
    ["stored passwords", () => storedPasswords(db, 0, 100)],
  ];

  it.each(cases)("%s: LIMIT and OFFSET are bound through a CAST, never bare", async (_, run) => {
    await run();
    const paged = sent.filter((text) => /\blimit\b/i.test(text));
    expect(paged.length).toBeGreaterThan(0);
    for (const text of paged) {
      expect(text).not.toMatch(/\b(limit|offset)\s+\?/i);
      expect(text).toMatch(/\blimit cast\(\? as integer\)/i);
    }
  });

  it("the key lookup binds the digest through a CAST, so ANALYZE's samples do not recompile it", async () => {
    await findByDigest(db, "0".repeat(64));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/"digest" = cast\(\? as text\)/);
  });
});
