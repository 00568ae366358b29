import { startServer, type TestServer } from "../support/server";
import Sqlite from "better-sqlite3";
import { cacheStatements } from "../../src/db/sqlite-adapter";

// The SQLite adapter path prepares each SQL text once (src/db/sqlite-adapter.ts).

describe("statement cache", () => {
  it("prepares a text once, runs it with new arguments each time, and drops the least recently used", () => {
    const db = new Sqlite(":memory:");
    const prepare = jest.spyOn(db, "prepare");
    cacheStatements(db, 2);
    expect(prepare).toHaveBeenCalledTimes(2); // the busy-timeout switch's two pragmas, prepared once
    prepare.mockClear();
    db.exec("CREATE TABLE t (x INTEGER)");
    const insert = (x: number) => (db.prepare("INSERT INTO t (x) VALUES (?)") as any).bind([x]).run();
    const select = (x: number) => {
      const stmt = (db.prepare("SELECT x FROM t WHERE x >= ? ORDER BY x") as any).bind([x]);
      expect(stmt.reader).toBe(true);
      expect(stmt.columns().map((c: { name: string }) => c.name)).toEqual(["x"]);
      return stmt.raw().all();
    };
    insert(1);
    insert(2);
    insert(3);
    expect(select(2)).toEqual([[2], [3]]);
    expect(select(3)).toEqual([[3]]);
    expect(prepare).toHaveBeenCalledTimes(2);
    db.prepare("SELECT 1"); // a third text evicts INSERT, the least recently used
    expect(prepare).toHaveBeenCalledTimes(3);
    insert(4); // prepared again; evicts the SELECT
    expect(prepare).toHaveBeenCalledTimes(4);
    db.prepare("SELECT 1"); // still cached
    expect(prepare).toHaveBeenCalledTimes(4);
    expect(select(4)).toEqual([[4]]);
    expect(prepare).toHaveBeenCalledTimes(5);
    db.close();
  });
});

describe("through the server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it("answers repeated reads and writes with fresh arguments, and a failed statement does not poison the cache", async () => {
    const { token } = await server.user("cache");
    const auth = { authorization: `Token ${token}` };
    const create = async (roll: number) =>
      (
        await server.gql(
          `mutation($i: StudentInput!) { createStudent(input: $i) { id roll } }`,
          { i: { name: `N${roll}`, roll, city: "C" } },
          auth,
        )
      ).body;
    const a = await create(101);
    const b = await create(102);
    expect(a.errors).toBeUndefined();
    expect(a.data?.createStudent.roll).toBe(101);
    expect(b.errors).toBeUndefined();
    const dup = await create(101);
    expect(dup.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT"); // the unique roll, refused by the database
    const c = await create(103);
    expect(c.errors).toBeUndefined();
    for (const roll of [101, 102, 103]) {
      const id = [a, b, c][roll - 101]!.data!.createStudent.id;
      const got = await server.gql(`query($id: ID!) { student(id: $id) { roll } }`, { id }, auth);
      expect(got.body.data).toEqual({ student: { roll } });
    }
  });
});
