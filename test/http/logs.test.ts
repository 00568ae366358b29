import { ChangePasswordDocument, ObtainTokenDocument, RegisterDocument, WhoAmIDocument } from "../generated/graphql";
import { captureLogs, type LogLine } from "../support/logs";
import { auth, PASSWORD, startServer, type TestServer } from "../support/server";

// The request log, captured from pino: one line per request with what an
// operator needs, and never a key, a password or an Authorization header.

interface Line extends LogLine {
  msg: string;
  level: number;
  reqId?: string;
  status?: number;
  ms?: number;
  operation?: string;
  userId?: number;
  [k: string]: unknown;
}

let server: TestServer;
const logs = captureLogs<Line>();
const lines = logs.lines;
const requestLines = () => lines().filter((l) => l.msg === "request");

beforeAll(async () => {
  server = await startServer({ LOGIN_RATE: "2/min" }, { logDestination: logs.destination });
});
afterAll(() => server.close());

it("writes one line per request: request id, operation, user id, duration, status", async () => {
  const { id, token } = await server.user("logged");
  const before = requestLines().length;
  const res = await server.run(WhoAmIDocument, {}, { "x-request-id": "trace-42", ...auth(token) });
  expect(res.status).toBe(200);
  expect(res.headers.get("x-request-id")).toBe("trace-42");
  await server.run(WhoAmIDocument);
  const added = requestLines().slice(before);
  expect(added).toHaveLength(2);
  expect(added[0]).toMatchObject({
    reqId: "trace-42",
    operation: "WhoAmI",
    userId: id,
    status: 200,
    method: "POST",
    path: "/graphql",
  });
  expect(typeof added[0]!.ms).toBe("number");
  expect(added[1]!.reqId).toMatch(/^[0-9a-f-]{36}$/);
  expect(added[1]!.userId).toBeUndefined();
});

it("never logs a key, a password or an Authorization header, even around errors", async () => {
  const secret = "S3cret-passphrase-nobody-guesses";
  const reg = await server.run(RegisterDocument, {
    input: { username: "newbie", email: "newbie@example.com", password: secret },
  });
  const key = reg.body.data!.register.token;
  expect(key).toMatch(/^[0-9a-f]{40}$/);
  const login = (password: string) => server.run(ObtainTokenDocument, { username: "newbie", password });
  const issued = (await login(secret)).body.data!.obtainToken.token;
  await server.run(WhoAmIDocument, {}, auth(key));
  await server.run(WhoAmIDocument, {}, { authorization: `Token ${issued}` });
  // Failures: bad JSON carrying a password, unknown key, malformed header, throttled logins.
  const badJson = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth(key) },
    body: `{"query": "mutation { obtainToken(username: \\"newbie\\", password: \\"${secret}\\") { token } }"`,
  });
  expect(badJson.status).toBe(400);
  const unknownKey = "f".repeat(40);
  expect((await server.run(WhoAmIDocument, {}, auth(unknownKey))).status).toBe(401);
  expect((await server.run(WhoAmIDocument, {}, { authorization: `Token ${key} extra` })).status).toBe(401);
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await login(`${secret}-wrong`)).status);
  expect(statuses).toContain(429);
  await server.run(
    ChangePasswordDocument,
    { oldPassword: PASSWORD, newPassword: "another-long-passphrase" },
    auth(key),
  );

  const text = logs.text();
  expect(requestLines().length).toBeGreaterThanOrEqual(9);
  for (const needle of [
    secret,
    key,
    issued,
    unknownKey,
    key.slice(8),
    "another-long-passphrase",
    "Token ",
    "authorization",
  ]) {
    expect(text.toLowerCase()).not.toContain(needle.toLowerCase());
  }
  expect(requestLines().map((l) => l.status)).toEqual(expect.arrayContaining([400, 401, 429]));
});
