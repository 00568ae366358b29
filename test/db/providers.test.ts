import {
  CreateStudentDocument,
  PatchStudentDocument,
  RegisterDocument,
  StudentsDocument,
  UsersDocument,
} from "../generated/graphql";
import { auth, startServer, type TestServer } from "../support/server";
import { testDatabase } from "../support/databases";

// What differs between SQLite and PostgreSQL under Prisma, seen through the
// API: unique violations (each driver adapter reports them differently) and
// case-insensitive search (LIKE vs ILIKE). Runs on both providers.

describe(`provider differences (${testDatabase()})`, () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startServer();
    ({ token } = await server.user("provider-admin", { staff: true }));
  });
  afterAll(() => server.close());

  it("reports the app's provider", () => {
    expect(server.app.db.provider).toBe(testDatabase());
  });

  it("answers a duplicate roll with a field error, not a 500", async () => {
    const input = { name: "Ada", roll: 7001, city: "London" };
    expect((await server.run(CreateStudentDocument, { input }, auth(token))).body.errors).toBeUndefined();
    const res = await server.run(CreateStudentDocument, { input: { ...input, name: "Bob" } }, auth(token));
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors?.[0]?.extensions?.fields).toEqual({ roll: ["student with this roll already exists."] });
  });

  it("answers a duplicate roll on update with the same field error", async () => {
    const a = await server.run(CreateStudentDocument, { input: { name: "C", roll: 7101, city: "x" } }, auth(token));
    const b = await server.run(CreateStudentDocument, { input: { name: "D", roll: 7102, city: "x" } }, auth(token));
    const res = await server.run(
      PatchStudentDocument,
      { id: b.body.data!.createStudent.id, input: { roll: 7101 } },
      auth(token),
    );
    expect(a.body.errors).toBeUndefined();
    expect(res.body.errors?.[0]?.extensions?.fields).toEqual({ roll: ["student with this roll already exists."] });
  });

  it("answers a taken username with a field error", async () => {
    const input = { username: "twin", email: "twin@example.com", password: "a long enough passphrase 1" };
    expect((await server.run(RegisterDocument, { input })).body.errors).toBeUndefined();
    const res = await server.run(RegisterDocument, { input });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors?.[0]?.extensions?.fields).toEqual({
      username: ["A user with that username already exists."],
    });
  });

  it("searches students and users ignoring case", async () => {
    await server.run(
      CreateStudentDocument,
      { input: { name: "Grace Hopper", roll: 7201, city: "Arlington" } },
      auth(token),
    );
    const students = await server.run(StudentsDocument, { search: "gRACE" }, auth(token));
    expect(students.body.data?.students.count).toBe(1);
    expect(students.body.data?.students.results.map((s) => s.name)).toEqual(["Grace Hopper"]);
    const users = await server.run(UsersDocument, { search: "PROVIDER-ADM" }, auth(token));
    expect(users.body.data?.users.count).toBe(1);
  });
});
