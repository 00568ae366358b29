import { auth, startServer, type TestServer } from "../support/server";
import { testDatabase } from "../support/databases";

// What differs between SQLite and PostgreSQL under Prisma, seen through the
// API: unique violations (each driver adapter reports them differently) and
// case-insensitive search (LIKE vs ILIKE). Runs on both providers.

const CREATE_STUDENT = `mutation ($input: StudentInput!) { createStudent(input: $input) { id roll } }`;

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
    expect((await server.gql(CREATE_STUDENT, { input }, auth(token))).body.errors).toBeUndefined();
    const res = await server.gql(CREATE_STUDENT, { input: { ...input, name: "Bob" } }, auth(token));
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors?.[0]?.extensions?.fields).toEqual({ roll: ["student with this roll already exists."] });
  });

  it("answers a duplicate roll on update with the same field error", async () => {
    const a = await server.gql(CREATE_STUDENT, { input: { name: "C", roll: 7101, city: "x" } }, auth(token));
    const b = await server.gql(CREATE_STUDENT, { input: { name: "D", roll: 7102, city: "x" } }, auth(token));
    const res = await server.gql(
      `mutation ($id: ID!) { patchStudent(id: $id, input: { roll: 7101 }) { id } }`,
      { id: b.body.data!.createStudent.id },
      auth(token),
    );
    expect(a.body.errors).toBeUndefined();
    expect(res.body.errors?.[0]?.extensions?.fields).toEqual({ roll: ["student with this roll already exists."] });
  });

  it("answers a taken username with a field error", async () => {
    const input = { username: "twin", email: "twin@example.com", password: "a long enough passphrase 1" };
    const register = `mutation ($input: NewUserInput!) { register(input: $input) { token } }`;
    expect((await server.gql(register, { input })).body.errors).toBeUndefined();
    const res = await server.gql(register, { input });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors?.[0]?.extensions?.fields).toEqual({ username: ["A user with that username already exists."] });
  });

  it("searches students and users ignoring case", async () => {
    await server.gql(CREATE_STUDENT, { input: { name: "Grace Hopper", roll: 7201, city: "Arlington" } }, auth(token));
    const students = await server.gql(`{ students(search: "gRACE") { count results { name } } }`, {}, auth(token));
    expect(students.body.data?.students).toEqual({ count: 1, results: [{ name: "Grace Hopper" }] });
    const users = await server.gql(`{ users(search: "PROVIDER-ADM") { count } }`, {}, auth(token));
    expect(users.body.data?.users.count).toBe(1);
  });
});
