import { MAX_OPERATION_NAMES } from "../../src/metrics/metrics";
import {
  ChangePasswordDocument,
  CreateStudentDocument,
  CreateTokenDocument,
  MeDocument,
  ObtainTokenDocument,
  RevokeTokenDocument,
  StudentDocument,
  TokensDocument,
  UsersDocument,
} from "../generated/graphql";
import { testDatabase } from "../support/databases";
import { deltas, moved, scrape, series, value } from "../support/metrics";
import { auth, startServer, type TestServer } from "../support/server";

// GET /metrics through the real HTTP server: refused where it must be, and
// every counter moves by exactly the requests sent (scraped before and after).
// The cluster's sum and the port of its own are in cluster-metrics.test.ts.

const TOKEN = "metrics-test-secret-0123456789";
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const UNKNOWN_KEY = "0123456789abcdef0123456789abcdef01234567";

jest.setTimeout(60_000);

/** `n` sequential calls of `send`, each expected to answer `status`. */
async function times(n: number, status: number, send: () => Promise<{ status: number }>): Promise<void> {
  for (let i = 0; i < n; i++) expect((await send()).status).toBe(status);
}

describe(`GET /metrics is refused where it must be (${testDatabase()})`, () => {
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));
  const start = async (env: Record<string, string>) => {
    const server = await startServer(env);
    servers.push(server);
    return server;
  };

  it("is not on the public port without METRICS (404), even with a secret set", async () => {
    const server = await start({ METRICS_TOKEN: TOKEN });
    for (const headers of [{}, bearer(TOKEN)]) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        errors: [{ message: "No route for GET /metrics.", extensions: { code: "NOT_FOUND" } }],
      });
    }
  });

  it("is not on the public port with METRICS=port:... (404): it has a listener of its own", async () => {
    const server = await start({ METRICS: "port:0", METRICS_TOKEN: TOKEN });
    expect((await fetch(`${server.url}/metrics`, { headers: bearer(TOKEN) })).status).toBe(404);
  });

  it("METRICS=bearer: 401 without the secret, with a wrong one or another scheme; 200 with it", async () => {
    const server = await start({ METRICS: "bearer", METRICS_TOKEN: TOKEN });
    const refusals: [Record<string, string>, string][] = [
      [{}, "Authentication credentials were not provided."],
      [bearer(`${TOKEN}x`), "Invalid token."],
      [bearer(TOKEN.slice(0, -1)), "Invalid token."],
      [bearer(TOKEN.toUpperCase()), "Invalid token."],
      [{ authorization: `Token ${TOKEN}` }, "Invalid token."],
      [{ authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` }, "Invalid token."],
      [{ authorization: `Bearer ${TOKEN} extra` }, "Invalid token."],
      [{ authorization: "Bearer" }, "Invalid token."],
    ];
    for (const [headers, message] of refusals) {
      for (const method of ["GET", "HEAD"]) {
        const res = await fetch(`${server.url}/metrics`, { method, headers });
        expect([method, headers, res.status]).toEqual([method, headers, 401]);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
        if (method === "GET") {
          expect(await res.json()).toEqual({ errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] });
        }
      }
    }
    for (const headers of [bearer(TOKEN), { authorization: `bearer  ${TOKEN}` }]) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(await res.text()).toMatch(/^# TYPE graphql_requests_total counter$/m);
    }
  });
});

describe(`metrics move by exactly what was sent (${testDatabase()})`, () => {
  let server: TestServer;
  let metricsUrl: string;
  const read = () => scrape(metricsUrl, TOKEN);
  beforeEach(async () => {
    server = await startServer({ METRICS: "bearer", METRICS_TOKEN: TOKEN, LOGIN_RATE: "3/min" });
    metricsUrl = `${server.url}/metrics`;
  });
  afterEach(() => server.close());

  it("every password-check result and statement kind is exported at 0 before it first happens", async () => {
    const fresh = await read();
    for (const result of ["accepted", "refused", "throttled"])
      expect(fresh.get(series("auth_password_checks_total", { result }))).toBe(0);
    for (const kind of ["select", "insert", "update", "delete", "other"])
      expect(fresh.has(series("db_statement_duration_seconds_count", { kind }))).toBe(true);
  });

  it("GraphQL requests by type, operation, outcome and status, and their latency", async () => {
    const alice = await server.user("alice");
    const root = await server.user("root", { staff: true });
    const N = 4;
    const before = await read();
    await times(N, 200, () => server.run(MeDocument, {}, auth(alice.token)));
    await times(N, 401, () => server.run(MeDocument, {}, auth(UNKNOWN_KEY)));
    await times(N, 403, () => server.run(UsersDocument, {}, auth(alice.token)));
    await times(N, 200, () => server.run(TokensDocument, { userId: "999999" }, auth(root.token)));
    // An anonymous operation cannot be a typed document (codegen names each after its operation).
    await times(N, 200, () => server.raw("{ __typename }"));
    // Refused documents: a syntax error, and a field that does not exist.
    await times(N, 400, () => server.raw("query Broken {"));
    await times(N, 400, () => server.raw("query Nope { nope }"));
    // Refused before GraphQL: a body that is not JSON.
    await times(N, 400, () =>
      fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" }),
    );
    const after = await read();

    expect(moved(before, after, "graphql_requests_total")).toEqual({
      [series("graphql_requests_total", { type: "query", operation: "Me", outcome: "ok", status: "200" })]: N,
      [series("graphql_requests_total", {
        type: "unknown",
        operation: "(unknown)",
        outcome: "UNAUTHENTICATED",
        status: "401",
      })]: N,
      [series("graphql_requests_total", { type: "query", operation: "Users", outcome: "FORBIDDEN", status: "403" })]: N,
      [series("graphql_requests_total", { type: "query", operation: "Tokens", outcome: "NOT_FOUND", status: "200" })]:
        N,
      [series("graphql_requests_total", { type: "query", operation: "(anonymous)", outcome: "ok", status: "200" })]: N,
      [series("graphql_requests_total", {
        type: "unknown",
        operation: "(unknown)",
        outcome: "GRAPHQL_PARSE_FAILED",
        status: "400",
      })]: N,
      [series("graphql_requests_total", {
        type: "unknown",
        operation: "(unknown)",
        outcome: "GRAPHQL_VALIDATION_FAILED",
        status: "400",
      })]: N,
      [series("graphql_requests_total", {
        type: "unknown",
        operation: "(unknown)",
        outcome: "BAD_REQUEST",
        status: "400",
      })]: N,
    });
    // One latency observation per request, under its type and operation.
    expect(moved(before, after, "graphql_request_duration_seconds_count")).toEqual({
      [series("graphql_request_duration_seconds_count", { type: "query", operation: "Me" })]: N,
      [series("graphql_request_duration_seconds_count", { type: "query", operation: "Users" })]: N,
      [series("graphql_request_duration_seconds_count", { type: "query", operation: "Tokens" })]: N,
      [series("graphql_request_duration_seconds_count", { type: "query", operation: "(anonymous)" })]: N,
      [series("graphql_request_duration_seconds_count", { type: "unknown", operation: "(unknown)" })]: 4 * N,
    });
    const meSeconds =
      value(after, "graphql_request_duration_seconds_sum", { type: "query", operation: "Me" }) -
      value(before, "graphql_request_duration_seconds_sum", { type: "query", operation: "Me" });
    expect(meSeconds).toBeGreaterThan(0);
    expect(meSeconds).toBeLessThan(N * 5);
    // The buckets are cumulative: +Inf holds them all.
    expect(
      value(after, "graphql_request_duration_seconds_bucket", { type: "query", operation: "Me", le: "+Inf" }),
    ).toBe(N);
  });

  it("password checks by result, keys issued and revoked", async () => {
    const alice = await server.user("alice", { password: "an old passphrase 1" });
    const root = await server.user("root", { staff: true });
    const before = await read();
    const login = (password: string) => server.run(ObtainTokenDocument, { username: "alice", password });
    // Two right passwords: each gives its LOGIN_RATE point back.
    await times(2, 200, () => login("an old passphrase 1"));
    const changed = await server.run(
      ChangePasswordDocument,
      { oldPassword: "an old passphrase 1", newPassword: "a new passphrase 2" },
      auth(alice.token),
    );
    expect(changed.body.data?.changePassword.token).toMatch(/^[0-9a-f]{40}$/);
    const fresh = changed.body.data!.changePassword.token;
    // Three wrong passwords spend LOGIN_RATE (3/min); the next two are not checked.
    const wrongOld = await server.run(
      ChangePasswordDocument,
      { oldPassword: "not it", newPassword: "a third passphrase 3" },
      auth(fresh),
    );
    expect(wrongOld.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    await times(2, 200, () => login("not it either"));
    await times(2, 429, () => login("a new passphrase 2"));
    expect((await server.run(RevokeTokenDocument, {}, auth(fresh))).body.data?.revokeToken).toBe(true);
    const issued = await server.run(CreateTokenDocument, { userId: String(alice.id), name: "ops" }, auth(root.token));
    expect(issued.body.data?.createToken.token).toMatch(/^[0-9a-f]{40}$/);
    const after = await read();

    expect(
      deltas(before, after, [
        ["auth_password_checks_total", { result: "accepted" }],
        ["auth_password_checks_total", { result: "refused" }],
        ["auth_password_checks_total", { result: "throttled" }],
        ["auth_keys_issued_total"],
        ["auth_keys_revoked_total"],
      ]),
    ).toEqual({
      [series("auth_password_checks_total", { result: "accepted" })]: 3, // two logins, one changePassword
      [series("auth_password_checks_total", { result: "refused" })]: 3, // one old password, two logins
      [series("auth_password_checks_total", { result: "throttled" })]: 2,
      [series("auth_keys_issued_total", {})]: 4, // two logins, changePassword's fresh key, createToken
      [series("auth_keys_revoked_total", {})]: 4, // changePassword: alice's first key and two logins'; revokeToken
    });
    expect(moved(before, after, "graphql_requests_total")).toEqual({
      [series("graphql_requests_total", { type: "mutation", operation: "ObtainToken", outcome: "ok", status: "200" })]:
        2,
      [series("graphql_requests_total", {
        type: "mutation",
        operation: "ObtainToken",
        outcome: "BAD_USER_INPUT",
        status: "200",
      })]: 2,
      [series("graphql_requests_total", {
        type: "mutation",
        operation: "ObtainToken",
        outcome: "TOO_MANY_REQUESTS",
        status: "429",
      })]: 2,
      [series("graphql_requests_total", {
        type: "mutation",
        operation: "ChangePassword",
        outcome: "ok",
        status: "200",
      })]: 1,
      [series("graphql_requests_total", {
        type: "mutation",
        operation: "ChangePassword",
        outcome: "BAD_USER_INPUT",
        status: "200",
      })]: 1,
      [series("graphql_requests_total", { type: "mutation", operation: "RevokeToken", outcome: "ok", status: "200" })]:
        1,
      [series("graphql_requests_total", { type: "mutation", operation: "CreateToken", outcome: "ok", status: "200" })]:
        1,
    });
  });

  it(`gives the first ${MAX_OPERATION_NAMES} operation names a series each, and counts the rest as (other)`, async () => {
    const before = await read();
    // Names made up by a client: no typed document can stand for them.
    const names = Array.from({ length: MAX_OPERATION_NAMES + 5 }, (_, i) => `Made${i}`);
    for (const name of names) expect((await server.raw(`query ${name} { __typename }`)).status).toBe(200);
    const long = `L${"o".repeat(64)}ng`;
    expect((await server.raw(`query ${long} { __typename }`)).status).toBe(200);
    // A name already counted keeps its own series.
    expect((await server.raw(`query Made0 { __typename }`)).status).toBe(200);
    const after = await read();

    const counted = moved(before, after, "graphql_requests_total");
    const own = (name: string) =>
      counted[series("graphql_requests_total", { type: "query", operation: name, outcome: "ok", status: "200" })];
    expect(own("Made0")).toBe(2);
    for (const name of names.slice(1, MAX_OPERATION_NAMES)) expect(own(name)).toBe(1);
    expect(own("(other)")).toBe(6);
    expect(Object.keys(counted)).toHaveLength(MAX_OPERATION_NAMES + 1);
  });

  it("statement time by kind: the key lookup and the student read are selects, a new student an insert", async () => {
    const alice = await server.user("alice");
    const N = 3;
    // The key's first use records its lastUsedAt in the background: let that happen before counting.
    expect((await server.run(MeDocument, {}, auth(alice.token))).status).toBe(200);
    await server.app.services.tokens.settle();
    const before = await read();
    for (let i = 0; i < N; i++) {
      const created = await server.run(
        CreateStudentDocument,
        { input: { name: `S${i}`, roll: 100 + i, city: "Pune" } },
        auth(alice.token),
      );
      const id = created.body.data!.createStudent.id;
      expect((await server.run(StudentDocument, { id }, auth(alice.token))).body.data?.student?.id).toBe(id);
    }
    const after = await read();
    const count = (kind: string) =>
      value(after, "db_statement_duration_seconds_count", { kind }) -
      value(before, "db_statement_duration_seconds_count", { kind });
    expect(count("select")).toBe(3 * N); // each request's key, and each read's student
    expect(count("insert")).toBe(N);
    expect(count("update") + count("delete")).toBe(0);
  });
});

describe(`REDIS_URL with no Redis behind it: store errors and fallbacks (${testDatabase()})`, () => {
  let server: TestServer;
  // Nothing listens on port 1: the server waits its 5 s for Redis, then
  // refuses logins (503) and counts USER_RATE on its own.
  beforeAll(async () => {
    server = await startServer({
      REDIS_URL: "redis://127.0.0.1:1",
      USER_RATE: "100/min",
      METRICS: "bearer",
      METRICS_TOKEN: TOKEN,
    });
  });
  afterAll(() => server.close());

  it("counts each USER_RATE point taken on the process's own counters, and none for a refused login", async () => {
    const { token } = await server.user("alice");
    const before = await scrape(`${server.url}/metrics`, TOKEN);
    // Logins are refused outright: nothing is counted anywhere.
    await times(2, 503, () => server.run(ObtainTokenDocument, { username: "alice", password: "wrong" }));
    const middle = await scrape(`${server.url}/metrics`, TOKEN);
    // Each signed-in request takes one point of its user's counter.
    await times(3, 200, () => server.run(MeDocument, {}, auth(token)));
    const after = await scrape(`${server.url}/metrics`, TOKEN);
    expect(value(middle, "rate_limit_fallbacks_total") - value(before, "rate_limit_fallbacks_total")).toBe(0);
    expect(value(after, "rate_limit_fallbacks_total") - value(middle, "rate_limit_fallbacks_total")).toBe(3);
    // The client's failed connections (at least the first, before the server listened).
    expect(value(after, "rate_limit_store_errors_total")).toBeGreaterThan(0);
  });
});
