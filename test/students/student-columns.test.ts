import {
  CreateStudentDocument,
  StudentIdsDocument,
  StudentThroughFragmentsDocument,
  StudentsThroughFragmentsDocument,
} from "../generated/graphql";
import { auth, startServer, type TestServer } from "../support/server";

// Reads ask the database only for the columns the client selected (and id).
// Whatever way a field is selected (a fragment, an inline fragment, an
// alias, a directive), its value is in the answer and equals the stored one.

let server: TestServer;
let headers: Record<string, string>;
const TAG = "Columny";
let made: { id: string; name: string; roll: number; city: string }[];

beforeAll(async () => {
  server = await startServer();
  headers = auth((await server.user("columns")).token);
  made = [];
  for (const [i, city] of ["Pune", "Goa"].entries()) {
    const res = await server.run(
      CreateStudentDocument,
      { input: { name: `${TAG} ${i}`, roll: 81_000 + i, city } },
      headers,
    );
    expect(res.body.errors).toBeUndefined();
    made.push(res.body.data!.createStudent);
  }
});
afterAll(() => server.close());

/** The stored rows, read with every column through the service. */
async function stored(search: string | null = TAG, limit = 20) {
  return (await server.app.services.students.list({ search, limit })).results;
}

it.each([
  ["a search", TAG, 20],
  ["the unfiltered list", null, 3],
])("%s: the fields selected through fragments, an alias and @include are all answered", async (_, search, limit) => {
  const rows = await stored(search, limit);
  expect(rows.length).toBeGreaterThan(1);
  for (const withCity of [true, false]) {
    const res = await server.run(StudentsThroughFragmentsDocument, { search, limit, withCity }, headers);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.students.results).toEqual(
      rows.map((r) => ({
        createdAt: r.createdAt.toISOString(),
        updatedAt: r.updatedAt.toISOString(),
        name: r.name,
        ...(withCity ? { town: r.city } : {}),
      })),
    );
  }
});

it("one student's fields selected through nested fragments are answered", async () => {
  const [row] = await stored();
  const res = await server.run(StudentThroughFragmentsDocument, { id: String(row!.id) }, headers);
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data!.student).toEqual({
    createdAt: row!.createdAt.toISOString(),
    updatedAt: row!.updatedAt.toISOString(),
    roll: row!.roll,
  });
});

it("a page of ids only", async () => {
  const res = await server.run(StudentIdsDocument, { search: TAG }, headers);
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data!.students.results).toEqual(made.map((m) => ({ id: m.id })));
});
