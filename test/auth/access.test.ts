import { countRows } from "../support/rows";
import { expectError, NOT_AUTHENTICATED, NOT_STAFF } from "../support/expect";
import { CorrectnessMeAndStudentDocument, CorrectnessMeAndUserDocument } from "../generated/graphql";
import { auth, startServer, type TestServer } from "../support/server";

// Access is decided for the whole operation before it runs: a refused
// operation's body has `errors` and no `data`; one that runs answers 200
// whenever `data` is not null (GraphQL over HTTP).

let server: TestServer;
let user: { id: number; token: string };
let staff: { id: number; token: string };
beforeAll(async () => {
  server = await startServer();
  user = await server.user("plain");
  staff = await server.user("boss", { staff: true });
});
afterAll(() => server.close());

it("refuses an anonymous operation that selects a field needing a user: 401, no data", async () => {
  const res = await server.run(CorrectnessMeAndStudentDocument, { id: "2" });
  expectError(res, { ...NOT_AUTHENTICATED, status: 401 });
  expect(res.body).not.toHaveProperty("data");
});

it("refuses a non-staff operation that selects a staff-only field: 403, no data", async () => {
  const res = await server.run(CorrectnessMeAndUserDocument, { id: String(staff.id) }, auth(user.token));
  expectError(res, { ...NOT_STAFF, status: 403 });
  expect(res.body).not.toHaveProperty("data");
});

it("an anonymous client missing both a user and staff gets 401, as DRF asks for credentials first", async () => {
  const res = await server.gql("{ users { count } }");
  expectError(res, { ...NOT_AUTHENTICATED, status: 401 });
  expect(res.body).not.toHaveProperty("data");
});

it("a refused mutation writes nothing", async () => {
  const before = await countRows(server.app.db, "Student");
  const res = await server.gql('mutation { createStudent(input: { name: "X", roll: 9, city: "Y" }) { id } }');
  expectError(res, { ...NOT_AUTHENTICATED, status: 401 });
  expect(res.body).not.toHaveProperty("data");
  expect(await countRows(server.app.db, "Student")).toBe(before);
});

it("looks through fragments and inline fragments", async () => {
  const named = await server.gql("query { ...F } fragment F on Query { me { id } students { count } }");
  expectError(named, { ...NOT_AUTHENTICATED, status: 401 });
  const inline = await server.gql(
    "{ me { id } ... on Query { ... on Query { users { count } } } }",
    undefined,
    auth(user.token),
  );
  expectError(inline, { ...NOT_STAFF, status: 403 });
  expect(inline.body).not.toHaveProperty("data");
});

it("follows @skip and @include with variables and their defaults", async () => {
  const skip = "query($s: Boolean!) { me { id } students @skip(if: $s) { count } }";
  expect((await server.gql(skip, { s: true })).body).toEqual({ data: { me: null } });
  expectError(await server.gql(skip, { s: false }), { ...NOT_AUTHENTICATED, status: 401 });
  const include =
    "query($i: Boolean = false) { me { id } ...F @include(if: $i) } fragment F on Query { users { count } }";
  const skipped = await server.gql(include, {}, auth(user.token));
  expect(skipped.status).toBe(200);
  expect(skipped.body).toEqual({ data: { me: { id: String(user.id) } } });
  expectError(await server.gql(include, { i: true }, auth(user.token)), { ...NOT_STAFF, status: 403 });
});

it("lets staff and users through to what they may select", async () => {
  const res = await server.run(CorrectnessMeAndUserDocument, { id: String(user.id) }, auth(staff.token));
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ data: { me: { id: String(staff.id) }, user: { id: String(user.id) } } });
});

it("answers 200 with the data when a field that ran fails (NOT_FOUND is an error of its field)", async () => {
  const found = await server.run(CorrectnessMeAndStudentDocument, { id: "999999" }, auth(user.token));
  expect(found.status).toBe(200);
  expect(found.body.data).toEqual({ me: { id: String(user.id) }, student: null });
  const mutation = await server.gql('mutation { deleteStudent(id: "999999") }', undefined, auth(user.token));
  expect(mutation.status).toBe(200);
  expect(mutation.body.data).toBeNull(); // Boolean!: the null reaches the root
  expect(mutation.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
});
