import { MeDocument, ObtainTokenDocument, RegisterDocument } from "../generated/graphql";
import { freshDatabaseUrl, testDatabase } from "../support/databases";
import { auth, startServer, type TestServer } from "../support/server";

// Without REDIS_URL the login counters live in the database itself, so two
// servers on one database (here: in one process, each with its own
// connections) count together, on SQLite as on PostgreSQL.

const wrong = { username: "mallory", password: "not the password" };

describe(`login counters in the database (${testDatabase()})`, () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const DATABASE_URL = await freshDatabaseUrl();
    a = await startServer({ DATABASE_URL, LOGIN_RATE: "3/min" });
    b = await startServer({ DATABASE_URL, LOGIN_RATE: "3/min" });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it("uses the database as the store", () => {
    expect(a.app.limits).toBe(testDatabase());
  });

  it("counts failures through either server toward one limit", async () => {
    const codes = [];
    for (const server of [a, b, a])
      codes.push((await server.run(ObtainTokenDocument, wrong)).body.errors?.[0]?.extensions?.code);
    expect(codes).toEqual(["BAD_USER_INPUT", "BAD_USER_INPUT", "BAD_USER_INPUT"]);
    for (const server of [b, a]) {
      const res = await server.run(ObtainTokenDocument, wrong);
      expect(res.status).toBe(429);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("TOO_MANY_REQUESTS");
    }
  });
});

describe("REDIS_URL with no Redis behind it", () => {
  let server: TestServer;
  // Port 1: nothing listens there, so every command fails at once.
  beforeAll(
    async () =>
      (server = await startServer({ REDIS_URL: "redis://127.0.0.1:1", LOGIN_RATE: "2/min", USER_RATE: "2/min" })),
  );
  afterAll(() => server.close());

  it("says the limits are not counted in Redis", () => {
    expect(server.app.limits).toBe("redis");
    expect(server.app.limitsNow()).toMatch(/^Redis \(REDIS_URL\) is not answering: logins and sign-ups are refused/);
  });

  it("refuses logins and sign-ups with 503 and Retry-After, checking no password", async () => {
    const user = await server.user("alice");
    for (const res of [
      await server.run(ObtainTokenDocument, { username: "alice", password: user.password }),
      await server.run(ObtainTokenDocument, wrong),
      await server.run(RegisterDocument, {
        input: { username: "bob", email: "bob@example.com", password: "a long enough passphrase 1" },
      }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(res.body).toEqual({
        errors: [
          expect.objectContaining({
            message: "Login limits are unavailable; try again shortly.",
            extensions: expect.objectContaining({ code: "SERVICE_UNAVAILABLE", retryAfter: 2 }),
          }),
        ],
      });
    }
    // No key was issued: alice still has only her first.
    const me = await server.run(MeDocument, {}, auth(user.token));
    expect(me.body.data?.myTokens).toHaveLength(1);
  });

  it("keeps serving signed-in requests, USER_RATE counted on this process's own counters", async () => {
    const { token } = await server.user("carol");
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await server.runUnchecked(MeDocument, {}, auth(token))).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
