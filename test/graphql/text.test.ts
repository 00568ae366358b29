import { countRows, findRow } from "../support/rows";
import { expectError } from "../support/expect";
import {
  CorrectnessCreateStudentDocument,
  CorrectnessCreateTokenDocument,
  CorrectnessLoginDocument,
  CorrectnessPatchStudentDocument,
  CorrectnessRegisterDocument,
  CorrectnessStudentsDocument,
  CorrectnessUsersDocument,
} from "../generated/graphql";
import { auth, PASSWORD, startServer, type TestServer } from "../support/server";

// The contract's text rule on every String argument and input field: a NUL
// or an unpaired surrogate is BAD_USER_INPUT naming the argument or field,
// on either database, and nothing is written or hashed first.

const NUL = "Null characters are not allowed.";
const SURROGATE = "Unpaired surrogate characters are not allowed.";
const BAD = [
  ["a NUL", "Ana\u0000Bell", NUL],
  ["a lone high surrogate", "Ana\ud83d", SURROGATE],
  ["a lone low surrogate", "\ude00Ana", SURROGATE],
] as const;

let server: TestServer;
let roll = 100;
let user: { id: number; token: string };
let staff: { id: number; token: string };
beforeAll(async () => {
  server = await startServer();
  user = await server.user("texter");
  staff = await server.user("textstaff", { staff: true });
});
afterAll(() => server.close());

describe.each(BAD)("%s", (_label, bad, message) => {
  it("is refused in an input object's field, named as the services name it", async () => {
    const res = await server.run(
      CorrectnessCreateStudentDocument,
      { input: { name: bad, roll: 1, city: bad } },
      auth(user.token),
    );
    expectError(res, { code: "BAD_USER_INPUT", fields: { name: [message], city: [message] } });
    expect(res.body.data).toBeNull();
    const created = await server.run(
      CorrectnessCreateStudentDocument,
      { input: { name: "Ana", roll: roll++, city: "Lima" } },
      auth(user.token),
    );
    const patched = await server.run(
      CorrectnessPatchStudentDocument,
      { id: created.body.data!.createStudent.id, input: { city: bad } },
      auth(user.token),
    );
    expectError(patched, { code: "BAD_USER_INPUT", fields: { city: [message] } });
  });

  it("is refused in a scalar argument, named by the argument", async () => {
    expectError(await server.run(CorrectnessStudentsDocument, { search: bad }, auth(user.token)), {
      code: "BAD_USER_INPUT",
      fields: { search: [message] },
    });
    expectError(await server.run(CorrectnessUsersDocument, { search: bad }, auth(staff.token)), {
      code: "BAD_USER_INPUT",
      fields: { search: [message] },
    });
    expectError(
      await server.run(CorrectnessCreateTokenDocument, { userId: String(user.id), name: bad }, auth(staff.token)),
      {
        code: "BAD_USER_INPUT",
        fields: { name: [message] },
      },
    );
  });

  it("is refused at login before the password is checked or lastLogin written", async () => {
    const anonymous = await server.run(CorrectnessLoginDocument, { username: bad, password: PASSWORD });
    expectError(anonymous, { code: "BAD_USER_INPUT", fields: { username: [message] } });
    const withName = await server.run(CorrectnessLoginDocument, { username: "texter", password: PASSWORD, name: bad });
    expectError(withName, { code: "BAD_USER_INPUT", fields: { name: [message] } });
    const password = await server.run(CorrectnessLoginDocument, { username: "texter", password: PASSWORD + bad });
    expectError(password, { code: "BAD_USER_INPUT", fields: { password: [message] } });
    const row = await findRow(server.app.db, "User", { id: user.id });
    expect(row.lastLogin).toBeNull();
  });

  it("is refused at registration for each field at once, and no user is created", async () => {
    const before = await countRows(server.app.db, "User");
    const res = await server.run(CorrectnessRegisterDocument, {
      input: { username: `new${bad}`, email: `a${bad}@example.com`, password: `Pw-${bad}-long-enough` },
    });
    expectError(res, {
      code: "BAD_USER_INPUT",
      fields: { username: [message], email: [message], password: [message] },
    });
    expect(await countRows(server.app.db, "User")).toBe(before);
  });
});

it("accepts a well-formed pair (an emoji) and other control characters the rule does not name", async () => {
  const res = await server.run(
    CorrectnessCreateStudentDocument,
    { input: { name: "Ana \ud83d\ude00", roll: 7, city: "Li\u0001ma" } },
    auth(user.token),
  );
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data!.createStudent.name).toBe("Ana \u{1F600}");
});

it("still answers 401 first to an anonymous operation that needs a user", async () => {
  expectError(await server.run(CorrectnessStudentsDocument, { search: "\u0000" }), { code: "UNAUTHENTICATED" });
});
