import {
  CreateStudentDocument,
  DeleteStudentDocument,
  StudentTotalDocument,
  StudentsWithoutCountDocument,
} from "../generated/graphql";
import { countRows } from "../support/rows";
import { auth, startServer, type TestServer } from "../support/server";

// A page's total for the unfiltered list comes from a counter kept by
// triggers in the same transaction as each insert and delete (model
// StudentCount), not from counting every row: it must stay exact when
// writes race, on one connection (SQLite) and on many (PostgreSQL).

let server: TestServer;
let headers: Record<string, string>;

beforeAll(async () => {
  server = await startServer();
  headers = auth((await server.user("counter", { staff: true })).token);
});
afterAll(() => server.close());

const total = async () => (await server.run(StudentTotalDocument, {}, headers)).body.data!.students.count;

it("stays equal to the rows after 60 creates and 30 deletes released together", async () => {
  const start = await total();
  expect(start).toBe(await countRows(server.app.db, "Student"));
  const created = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      server.run(CreateStudentDocument, { input: { name: `C${i}`, roll: 70_000 + i, city: "Goa" } }, headers),
    ),
  );
  const ids = created.map((r) => {
    expect(r.body.errors).toBeUndefined();
    return r.body.data!.createStudent.id;
  });
  const deleted = await Promise.all(ids.slice(0, 30).map((id) => server.run(DeleteStudentDocument, { id }, headers)));
  for (const r of deleted) expect(r.body.errors).toBeUndefined();
  expect(await total()).toBe(start + 30);
  expect(await total()).toBe(await countRows(server.app.db, "Student"));
});

it("a page without its total lists the same students", async () => {
  const page = await server.run(StudentsWithoutCountDocument, { limit: 5 }, headers);
  expect(page.body.errors).toBeUndefined();
  const rows = await server.app.db.kysely.selectFrom("Student").select("id").orderBy("id").limit(5).execute();
  expect(page.body.data!.students.results.map((s) => Number(s.id))).toEqual(rows.map((r) => r.id));
});
