import { CreateStudentDocument, ObtainTokenDocument, WhoAmIDocument } from "../generated/graphql";
import { auth, PASSWORD, startServer, type TestServer } from "../support/server";

// Races decided by the database, not by look-before-write.

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
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
  expect(await server.app.db.prisma.student.count({ where: { roll: 4242 } })).toBe(1);
});

it("50 concurrent obtainToken for one user: 50 distinct keys, each working", async () => {
  await server.user("crowd");
  // ~50 argon2 checks of ~50 ms on libuv's pool; successes never count against LOGIN_RATE.
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
