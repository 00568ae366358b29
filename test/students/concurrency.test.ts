import { countRows } from "../support/rows";
import { CreateStudentDocument, ObtainTokenDocument, WhoAmIDocument } from "../generated/graphql";
import { auth, PASSWORD, startServer, type TestServer } from "../support/server";

// Races decided by the database, not by look-before-write.

let server: TestServer;
beforeAll(async () => {
  // Every check in flight holds a LOGIN_RATE point until it succeeds (see
  // LoginThrottle), so 50 logins at once run together only at a rate above
  // 50 (below, they wait their turn): this file is about keys and rolls,
  // test/security and test/limits about the limit.
  server = await startServer({ LOGIN_RATE: "1000/min" });
});
afterAll(() => server.close());

it("50 concurrent createStudent with one roll: exactly one success and 49 field errors", async () => {
  const { token } = await server.user("racer");
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      server.run(CreateStudentDocument, { input: { name: `Racer ${i}`, roll: 4242, city: "Pune" } }, auth(token)),
    ),
  );
  expect(results.every((r) => r.status === 200)).toBe(true);
  const wins = results.filter((r) => r.body.data?.createStudent);
  const losses = results.filter((r) => r.body.errors);
  expect(wins).toHaveLength(1);
  expect(losses).toHaveLength(49);
  for (const r of losses) {
    expect(r.body.errors![0]!.extensions?.code).toBe("BAD_USER_INPUT");
    expect(r.body.errors![0]!.extensions?.fields).toEqual({ roll: ["student with this roll already exists."] });
  }
  expect(await countRows(server.app.db, "Student", { roll: 4242 })).toBe(1);
});

it("50 concurrent obtainToken for one user: 50 distinct keys, each working", async () => {
  await server.user("crowd");
  // ~50 argon2 checks of ~50 ms on libuv's pool.
  const results = await Promise.all(
    Array.from({ length: 50 }, () => server.run(ObtainTokenDocument, { username: "crowd", password: PASSWORD })),
  );
  const keys = results.map((r) => {
    expect(r.status).toBe(200);
    return r.body.data!.obtainToken.token;
  });
  expect(new Set(keys).size).toBe(50);
  const me = await Promise.all(keys.map((k) => server.run(WhoAmIDocument, {}, auth(k))));
  for (const r of me) expect(r.body.data).toEqual({ me: { username: "crowd" } });
});
