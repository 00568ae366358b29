import Sqlite from "better-sqlite3";
import { startServer, type TestServer } from "../support/server";
import { describeSqlite } from "../support/providers";
import { sql, type SqlRunner } from "../../src/db/sql";
import { findByDigest, tokensOfUser, pageOfTokens } from "../../src/auth/token.queries";
import { digestKey } from "../../src/auth/crypto";
import { findStudent, listStudents } from "../../src/students/student.queries";
import { listUsers } from "../../src/users/user.queries";
import { StudentOrder } from "../../src/students/student.type";
import { UserOrder } from "../../src/users/user.type";

// db.sql sends statements outside a transaction straight to Prisma's driver
// adapter (src/db/direct-sql.ts) and decodes the rows itself. It must give
// exactly what Prisma's own $queryRaw gives for the same statement: same
// keys, same JS types (number, bigint, Date, boolean, null), same values.
// Each query module's reads are run both ways here, on real rows.

let server: TestServer;
let direct: SqlRunner;
let prisma: SqlRunner;
let token: string;
let userId: number;

beforeAll(async () => {
  server = await startServer();
  direct = server.app.db.sql;
  prisma = server.app.db.prisma;
  const user = await server.user("direct", { staff: true });
  token = user.token;
  userId = (await server.app.db.prisma.user.findUniqueOrThrow({ where: { username: "direct" } })).id;
  await server.app.db.prisma.user.update({
    where: { id: userId },
    data: { lastLogin: new Date("2026-01-02T03:04:05.678Z") },
  });
  await server.app.db.prisma.student.createMany({
    data: [
      { name: "Ada", roll: 1, city: "London" },
      { name: "Émile", roll: 2_147_483_647, city: "Zürich" },
      { name: "Null's", roll: 0, city: "" },
    ],
  });
});
afterAll(() => server.close());

/** Runs `read` through both runners and compares the results deeply, types included. */
async function same<T>(read: (db: SqlRunner) => Promise<T>): Promise<T> {
  const [fromAdapter, fromPrisma] = [await read(direct), await read(prisma)];
  expect(fromAdapter).toStrictEqual(fromPrisma);
  return fromAdapter;
}

describe("db.sql reads decode as Prisma's $queryRaw", () => {
  it("a key with its user (dates, booleans, nulls)", async () => {
    const row = await same((db) => findByDigest(db, digestKey(token)));
    expect(row).toMatchObject({ username: "direct", isStaff: true, isActive: true, lastUsedAt: null });
    expect(row?.lastLogin).toEqual(new Date("2026-01-02T03:04:05.678Z"));
    expect(row?.dateJoined).toBeInstanceOf(Date);
  });

  it("no row", async () => {
    expect(await same((db) => findByDigest(db, "0".repeat(64)))).toBeNull();
    expect(await same((db) => findStudent(db, 999_999))).toBeNull();
  });

  it("a student and pages of students, with their count", async () => {
    const page = await same((db) =>
      listStudents(db, server.app.db.provider, { terms: [], order: StudentOrder.ROLL_DESC, limit: 10, offset: 0 }),
    );
    expect(page.count).toBe(3);
    expect(page.results.map((s) => s.roll)).toEqual([2_147_483_647, 1, 0]);
    const found = await same((db) => findStudent(db, page.results[0]!.id));
    expect(found).toMatchObject({ name: "Émile", city: "Zürich" });
    expect(found?.createdAt).toBeInstanceOf(Date);
    await same((db) =>
      listStudents(db, server.app.db.provider, { terms: ["zür"], order: StudentOrder.ID_ASC, limit: 5, offset: 0 }),
    );
    // Past the end: no row carries the count, which a second statement supplies.
    expect(
      (
        await same((db) =>
          listStudents(db, server.app.db.provider, { terms: [], order: StudentOrder.ID_ASC, limit: 5, offset: 50 }),
        )
      ).count,
    ).toBe(3);
  });

  it("keys and users, as staff lists them", async () => {
    await same((db) => tokensOfUser(db, userId));
    await same((db) => pageOfTokens(db, server.app.db.provider, { terms: ["direct"], limit: 5, offset: 0 }));
    await same((db) =>
      listUsers(db, server.app.db.provider, {
        terms: [],
        isStaff: true,
        order: UserOrder.USERNAME_ASC,
        limit: 5,
        offset: 0,
      }),
    );
  });

  it("a bare statement: integers, a bigint count, text, a NULL", async () => {
    const rows = await same((db) =>
      db.$queryRaw<unknown[]>(sql`SELECT COUNT(*) AS "n", ${"é"} AS "t", NULL AS "nothing" FROM "Student"`),
    );
    expect(rows).toEqual([{ n: 3n, t: "é", nothing: null }]);
  });

  it("a failing statement rejects with the database's own words", async () => {
    await expect(direct.$queryRaw(sql`SELECT * FROM "NoSuchTable"`)).rejects.toThrow(/NoSuchTable/);
  });
});

/**
 * Runs `fn` while another connection to the server's SQLite file holds the
 * write lock, as another worker's write would; `commit` ends that write.
 */
async function whileAnotherWriterHoldsTheLock<T>(fn: (commit: () => void) => Promise<T>): Promise<T> {
  const other = new Sqlite((server.app.config.DATABASE_URL as { file: string }).file, { timeout: 5000 });
  other.exec("BEGIN IMMEDIATE");
  try {
    return await fn(() => other.exec("COMMIT"));
  } finally {
    if (other.inTransaction) other.exec("ROLLBACK");
    other.close();
  }
}

describeSqlite("a write that finds the SQLite file locked by another process", () => {
  it("waits between tries without blocking the event loop, then succeeds", async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    try {
      await whileAnotherWriterHoldsTheLock(async (commit) => {
        let settled = false;
        const write = direct.$executeRaw(sql`UPDATE "Student" SET "city" = ${"Locked"} WHERE "roll" = ${1}`);
        void write.finally(() => (settled = true));
        await new Promise((resolve) => setTimeout(resolve, 300));
        const ticksWhileLocked = ticks;
        // It waited: a second copy of SQLite in the process (one for Prisma's
        // adapter, one for ours) would not see the other connection's lock.
        expect(settled).toBe(false);
        commit();
        expect(await write).toBe(1);
        // SQLite's own busy handler would have slept ~300 ms inside the call, with no tick at all.
        expect(ticksWhileLocked).toBeGreaterThanOrEqual(20);
      });
    } finally {
      clearInterval(ticker);
    }
    expect(await server.app.db.prisma.student.findUnique({ where: { roll: 1 } })).toMatchObject({ city: "Locked" });
    // The connection's own timeout is back for Prisma's statements.
    expect(await direct.$queryRaw(sql`PRAGMA busy_timeout`)).toEqual([{ timeout: 5000n }]);
  });
});

describeSqlite("one SQLite library in the process", () => {
  // SQLite's locks between connections of one process are bookkeeping inside
  // the library (POSIX locks belong to the process): two copies, one loaded by
  // Prisma's adapter and one by the rate limiter and the migrations, would
  // each ignore the other's locks, and closing a connection in one would drop
  // the other's (https://sqlite.org/howtocorrupt.html, 2.2.1). package.json's
  // overrides give the adapter our better-sqlite3.
  it("Prisma's adapter loads the same better-sqlite3 as the rest of the server", () => {
    const adapter = require.resolve("@prisma/adapter-better-sqlite3");
    expect(require.resolve("better-sqlite3", { paths: [adapter] })).toBe(require.resolve("better-sqlite3"));
  });
});

describeSqlite("a write that finds the SQLite file locked for a moment", () => {
  /** True when the write got the lock before this turn of the event loop ended. */
  const withinTheTurn = (city: string): Promise<boolean> =>
    whileAnotherWriterHoldsTheLock(async (commit) => {
      let turned = false;
      setImmediate(() => (turned = true));
      const write = direct.$executeRaw(sql`UPDATE "Student" SET "city" = ${city} WHERE "roll" = ${0}`);
      // The other process's write ends a few microtasks later, after the
      // first try has found the lock held, inside the time tried at once.
      let hops = 0;
      const release = () => (++hops < 10 ? queueMicrotask(release) : commit());
      queueMicrotask(release);
      expect(await write).toBe(1);
      expect(hops).toBe(10);
      return !turned;
    });

  it("tries again at once, and gets the lock before this turn of the event loop ends", async () => {
    // The ten hops take about 0.2 ms, inside the 0.3 ms tried at once unless
    // the OS or a collection stops the process in between (about 1 time in
    // 25 here): one of five tries must make it. Waiting for the next turn
    // (setImmediate, as before) would lose every one.
    const results: boolean[] = [];
    for (let i = 0; i < 5 && !results.includes(true); i++) results.push(await withinTheTurn(`Moment ${i}`));
    expect(results).toContain(true);
    const city = `Moment ${results.length - 1}`;
    expect(await server.app.db.prisma.student.findUnique({ where: { roll: 0 } })).toMatchObject({ city });
  });
});

describeSqlite("statements outside a transaction, while one is open on the shared SQLite connection", () => {
  it("wait for it to end, so its rollback does not undo them and they never see its rows", async () => {
    const db = server.app.db;
    const seen: unknown[] = [];
    const tx = db.prisma
      .$transaction(async (t) => {
        await t.student.create({ data: { name: "Rolled back", roll: 900_001, city: "Tx" } });
        await new Promise((resolve) => setTimeout(resolve, 200));
        throw new Error("roll back");
      })
      .catch((e: Error) => e.message);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the transaction is open now
    const outside = Promise.all([
      db.prisma.student.create({ data: { name: "Prisma outside", roll: 900_002, city: "Out" } }),
      db.sql.$executeRaw(
        sql`INSERT INTO "Student" ("name", "roll", "city", "createdAt", "updatedAt") VALUES (${"Direct outside"}, ${900_003}, ${"Out"}, ${new Date()}, ${new Date()})`,
      ),
      db.sql
        .$queryRaw<{ n: bigint }[]>(sql`SELECT COUNT(*) AS "n" FROM "Student" WHERE "roll" = ${900_001}`)
        .then((r) => seen.push(r[0]!.n)),
    ]);
    expect(await tx).toBe("roll back");
    await outside;
    const rolls = (
      await db.prisma.student.findMany({ where: { roll: { gte: 900_000, lte: 900_010 } }, orderBy: { roll: "asc" } })
    ).map((s) => s.roll);
    expect(rolls).toEqual([900_002, 900_003]);
    expect(seen).toEqual([0n]); // the read did not see the uncommitted row
  });
});
