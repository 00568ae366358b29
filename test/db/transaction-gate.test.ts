import { openDatabase, type DatabaseHandle } from "../../src/db/database";
import { databaseFromUrl } from "../../src/db/database-url";
import { freshSqliteUrl } from "../support/databases";
import { describeSqlite } from "../support/providers";
import { countRows } from "../support/rows";

// SQLite: one connection per process, so one transaction at a time on it.
// Transactions that start together queue for it, and a statement sent
// outside any transaction waits for the open one to end instead of running
// inside it (where a rollback would undo a write already reported as done).

let db: DatabaseHandle;
beforeEach(() => {
  db = openDatabase(databaseFromUrl(freshSqliteUrl()));
});
afterEach(() => db.close());

const student = (roll: number) => ({ name: `S${roll}`, roll, city: "Pune", updatedAt: new Date() });

describeSqlite("the SQLite connection's transactions", () => {
  it("40 transactions started together each run alone and commit", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.insertInto("Student").values(student(i)).execute();
          // Hands the event loop to the others while this transaction is open.
          await new Promise((r) => setImmediate(r));
          await tx.updateTable("Student").set({ city: "Goa" }).where("roll", "=", i).execute();
        }),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(await countRows(db, "Student", { city: "Goa" })).toBe(40);
  });

  it("a statement outside waits for the open transaction, and its rollback does not undo it", async () => {
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    let sent!: () => void;
    const dispatched = new Promise<void>((r) => (sent = r));
    let doneOutside = 0;
    let waitedForUs = false;
    const rolledBack = db
      .transaction(async (tx) => {
        await tx.insertInto("Student").values(student(1)).execute();
        opened();
        await dispatched;
        // Turns of the event loop in which the writes sent meanwhile would run,
        // inside this transaction, if nothing made them wait.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        waitedForUs = doneOutside === 0;
        throw new Error("roll back");
      })
      .catch((e: Error) => e.message);
    await open;
    const outside = Promise.all(
      [2, 3, 4].map((roll) =>
        db.kysely
          .insertInto("Student")
          .values(student(roll))
          .execute()
          .then(() => doneOutside++),
      ),
    );
    sent();
    expect(await rolledBack).toBe("roll back");
    expect(waitedForUs).toBe(true);
    await outside;
    const rolls = await db.kysely.selectFrom("Student").select("roll").orderBy("roll").execute();
    expect(rolls.map((r) => r.roll)).toEqual([2, 3, 4]);
  });
});
