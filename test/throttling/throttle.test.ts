import { ObtainTokenDocument, WhoAmIDocument } from "../generated/graphql";
import { auth, PASSWORD, startServer, type GraphQLResponse, type TestServer } from "../support/server";

// LOGIN_RATE counts failed logins per username and per client address;
// USER_RATE counts every authenticated request per user. Addresses come from
// X-Forwarded-For, which the server believes for one hop (TRUST_PROXY=1).

const THROTTLED = /^Request was throttled\. Expected available in (\d+) seconds\.$/;

function expectThrottled(res: GraphQLResponse<unknown>, maxSeconds: number) {
  expect(res.status).toBe(429);
  expect(res.body.errors).toHaveLength(1);
  const { message, extensions } = res.body.errors![0]!;
  expect(extensions?.code).toBe("TOO_MANY_REQUESTS");
  const seconds = Number(THROTTLED.exec(message)?.[1]);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
  expect(res.headers.get("retry-after")).toBe(String(seconds));
}

function expectBadCredentials(res: GraphQLResponse<unknown>) {
  expect(res.status).toBe(200);
  expect(res.body.errors![0]!.message).toBe("Unable to log in with provided credentials.");
}

describe("login throttling (LOGIN_RATE=3/min)", () => {
  let server: TestServer;
  const login = (username: string, password: string, address: string) =>
    server.run(ObtainTokenDocument, { username, password }, { "x-forwarded-for": address });

  beforeAll(async () => {
    server = await startServer({ LOGIN_RATE: "3/min", TRUST_PROXY: "1" });
  });
  afterAll(() => server.close());

  it("throttles a username after 3 failures, whatever the address, even with the right password", async () => {
    await server.user("victim");
    for (const address of ["10.0.1.1", "10.0.1.2", "10.0.1.3"])
      expectBadCredentials(await login("victim", "wrong", address));
    expectThrottled(await login("victim", "wrong", "10.0.1.4"), 60);
    expectThrottled(await login("Victim", PASSWORD, "10.0.1.5"), 60);
  });

  it("throttles an address after 3 failures, whatever the username", async () => {
    for (const username of ["nobody1", "nobody2", "nobody3"])
      expectBadCredentials(await login(username, "wrong", "10.0.2.1"));
    expectThrottled(await login("nobody4", "wrong", "10.0.2.1"), 60);
    // Another address, another count.
    expectBadCredentials(await login("nobody4", "wrong", "10.0.2.2"));
  });

  it("does not count successes, and a success from one address leaves another's count alone", async () => {
    await server.user("owner");
    for (const username of ["x1", "x2", "x3"]) expectBadCredentials(await login(username, "wrong", "10.0.3.2"));
    for (let i = 0; i < 5; i++) {
      const ok = await login("owner", PASSWORD, "10.0.3.1");
      expect(ok.status).toBe(200);
      expect(ok.body.data?.obtainToken.token).toMatch(/^[0-9a-f]{40}$/);
    }
    expectThrottled(await login("owner", PASSWORD, "10.0.3.2"), 60);
  });
});

describe("per-user rate (USER_RATE)", () => {
  it("is off by default", async () => {
    const server = await startServer();
    try {
      const { token } = await server.user("busy");
      for (let i = 0; i < 30; i++) expect((await server.run(WhoAmIDocument, {}, auth(token))).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("answers 429 with Retry-After past USER_RATE, per user, and leaves anonymous requests alone", async () => {
    const server = await startServer({ USER_RATE: "3/hour" });
    try {
      const a = await server.user("alpha");
      const b = await server.user("beta");
      for (let i = 0; i < 3; i++) expect((await server.run(WhoAmIDocument, {}, auth(a.token))).status).toBe(200);
      const over = await server.run(WhoAmIDocument, {}, auth(a.token));
      expectThrottled(over, 3600);
      expect(over.body.data).toBeUndefined();
      expect((await server.run(WhoAmIDocument, {}, auth(b.token))).body.data).toEqual({ me: { username: "beta" } });
      expect((await server.run(WhoAmIDocument)).body.data).toEqual({ me: null });
    } finally {
      await server.close();
    }
  });
});
