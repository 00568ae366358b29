import { countKeysOf, countRows } from "../support/rows";
import { join } from "node:path";
import { testRoot } from "../support/databases";
import { auth, startServer, type TestServer } from "../support/server";

// The HTTP surface around GraphQL: GET queries, methods, CSRF, health checks.

let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startServer();
  ({ token: key } = await server.user("amit"));
});
afterAll(() => server.close());

const get = (query: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/graphql?query=${encodeURIComponent(query)}`, { headers });

describe("GET /graphql", () => {
  it("runs a query without any special header (httpie's plain GET)", async () => {
    const res = await get("{me{username}}");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { me: null } });
  });

  it("runs a query with a key", async () => {
    const res = await get("{me{username}}", auth(key));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { me: { username: "amit" } } });
  });

  it("answers 401 for a bad key over GET too", async () => {
    const res = await get("{me{username}}", { authorization: "Token nope" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Token");
  });

  it("refuses a mutation with 405 and runs nothing", async () => {
    const before = await countRows(server.app.db, "Token");
    const res = await get("mutation { revokeAllTokens }", auth(key));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(await countRows(server.app.db, "Token")).toBe(before);
  });
});

describe("POST /graphql", () => {
  it("refuses a text/plain POST (CSRF prevention) with 400", async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "mutation { revokeAllTokens }" }),
    });
    expect(res.status).toBe(400);
    expect(await countKeysOf(server.app.db, "amit")).toBe(1);
  });

  it("refuses a form POST (no parser for it: 415)", async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "query=%7Bme%7Busername%7D%7D",
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ errors: [{ extensions: { code: "UNSUPPORTED_MEDIA_TYPE" } }] });
  });

  it("answers malformed JSON with a 400 in GraphQL's error shape", async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string }[] };
    expect(body.errors[0]!.message).toBe("The request body is not valid JSON.");
  });

  it("answers a syntax error with 400, not 500", async () => {
    // Raw: a syntax error cannot be a typed document.
    const res = await server.raw("{ me { username ");
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
  });
});

describe("other methods and endpoints", () => {
  it("OPTIONS /graphql answers 204 with Allow", async () => {
    const res = await fetch(`${server.url}/graphql`, { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, POST, OPTIONS");
    expect(await res.text()).toBe("");
  });

  it("GET and HEAD /healthz answer 200", async () => {
    const g = await fetch(`${server.url}/healthz`);
    expect(g.status).toBe(200);
    expect(await g.json()).toEqual({ status: "ok" });
    const h = await fetch(`${server.url}/healthz`, { method: "HEAD" });
    expect(h.status).toBe(200);
    expect(await h.text()).toBe("");
  });

  it("GET /readyz answers 200 while the database answers", async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
  });

  it("GET /readyz answers 503 when the database file cannot be opened", async () => {
    // A path under a regular file: no process can create or open it.
    const broken = await startServer({ DATABASE_URL: `file:${join(testRoot(), "template.sqlite3", "db.sqlite3")}` });
    try {
      const res = await fetch(`${broken.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: "unavailable" });
      // The process itself is still up.
      expect((await fetch(`${broken.url}/healthz`)).status).toBe(200);
    } finally {
      await broken.close().catch(() => undefined);
    }
  });

  it("an unknown path answers 404 in GraphQL's error shape", async () => {
    const res = await fetch(`${server.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      errors: [{ message: "No route for GET /nope.", extensions: { code: "NOT_FOUND" } }],
    });
  });
});

describe("small courtesies", () => {
  it("serves /graphql/ like /graphql and keeps stack traces out of the contract's own errors", async () => {
    const server = await startServer();
    try {
      const res = await fetch(`${server.url}/graphql/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ students { count } }" }),
      });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body.errors[0]!.message).toBe("Authentication credentials were not provided.");
      expect(body.errors[0]!.extensions).toEqual({ code: "UNAUTHENTICATED" });
    } finally {
      await server.close();
    }
  });
});
