import { countRows } from "../support/rows";
import { captureLogs } from "../support/logs";
import { rawRequest } from "../support/raw-http";
import { auth, startServer, type TestServer } from "../support/server";

// The plain-HTTP contract around /graphql (contract.md, "HTTP endpoints"):
// Host, HEAD, OPTIONS, Cache-Control, CORS by default, one Authorization
// header, and a front page.

let server: TestServer;
let key: string;
const logs = captureLogs<{ level: number; msg: string; status?: number }>();

beforeAll(async () => {
  server = await startServer({}, { logDestination: logs.destination });
  ({ token: key } = await server.user("amit"));
});
afterAll(() => server.close());

const NO_HOST = {
  errors: [{ message: "The request has no usable Host header.", extensions: { code: "BAD_REQUEST" } }],
};

describe("Host", () => {
  it.each([
    ["HTTP/1.0 without Host", "GET /graphql?query=%7Bme%7Bid%7D%7D HTTP/1.0\r\n\r\n"],
    [
      "HTTP/1.0 POST without Host",
      "POST /graphql HTTP/1.0\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
    ],
    ["Host: a b", "GET /graphql?query=%7Bme%7Bid%7D%7D HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n"],
    ["Host: [::1", "GET /graphql?query=%7Bme%7Bid%7D%7D HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n"],
    ["Host: %zz", "GET /graphql?query=%7Bme%7Bid%7D%7D HTTP/1.1\r\nHost: %zz\r\nConnection: close\r\n\r\n"],
    ["Host: [nope]", "GET /healthz HTTP/1.1\r\nHost: [nope]\r\nConnection: close\r\n\r\n"],
    ["Host: a:99999", "GET /healthz HTTP/1.1\r\nHost: a:99999\r\nConnection: close\r\n\r\n"],
    [
      "two Host headers",
      "GET /graphql?query=%7Bme%7Bid%7D%7D HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
    ],
  ])("%s: 400 in GraphQL's error shape, nothing logged above info", async (_name, request) => {
    const before = logs.mark();
    const res = await rawRequest(server.url, request);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual(NO_HOST);
    await logs.waitFor("request", before);
    const lines = logs.since(before);
    expect(lines.filter((l) => l.level > 30)).toEqual([]);
    expect(lines.find((l) => l.msg === "request")?.status).toBe(400);
    expect(lines.map((l) => JSON.stringify(l)).join("\n")).not.toMatch(/stack|at .*\.js:\d+/);
  });

  it.each(["localhost", "localhost:4000", "127.0.0.1:8080", "[::1]:4000", "api.example.com", "xn--bcher-kva.example"])(
    "Host: %s is served",
    async (host) => {
      const res = await rawRequest(
        server.url,
        `GET /graphql?query=%7Bme%7Bid%7D%7D HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ data: { me: null } });
    },
  );

  it("HTTP/1.0 with a Host is served", async () => {
    const res = await rawRequest(server.url, "GET /graphql?query=%7Bme%7Bid%7D%7D HTTP/1.0\r\nHost: localhost\r\n\r\n");
    expect(res.status).toBe(200);
  });
});

describe("HEAD answers GET's headers without a body", () => {
  // Headers that differ between any two answers.
  const VARYING = new Set(["date", "x-request-id", "content-security-policy", "etag"]);
  const comparable = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).filter(([name]) => !VARYING.has(name)));

  it.each([
    ["/graphql", {}],
    ["/graphql?query=%7Bme%7Busername%7D%7D", {}],
    ["/graphql?query=%7Bme%7Busername%7D%7D", "key"],
    ["/graphql?query=mutation%7BrevokeAllTokens%7D", "key"],
    ["/graphql", { accept: "text/html" }],
    ["/playground", {}],
    ["/", {}],
    ["/schema.graphql", {}],
    ["/healthz", {}],
    ["/readyz", {}],
  ] as const)("HEAD %s %j", async (path, extra) => {
    const headers =
      extra === "key"
        ? `Authorization: Token ${key}\r\n`
        : Object.entries(extra)
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join("");
    const get = await rawRequest(
      server.url,
      `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}Connection: close\r\n\r\n`,
    );
    const head = await rawRequest(
      server.url,
      `HEAD ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}Connection: close\r\n\r\n`,
      { head: true },
    );
    expect(head.status).toBe(get.status);
    expect(comparable(head.headers)).toEqual(comparable(get.headers));
    expect(head.body).toBe("");
    expect(get.body.length).toBeGreaterThan(0);
  });

  it("a HEAD of a mutation runs nothing", async () => {
    const before = await countRows(server.app.db, "Token");
    const head = await fetch(`${server.url}/graphql?query=${encodeURIComponent("mutation { revokeAllTokens }")}`, {
      method: "HEAD",
      headers: auth(key),
    });
    expect(head.status).toBe(405);
    expect(await countRows(server.app.db, "Token")).toBe(before);
  });

  it("logs a HEAD as HEAD", async () => {
    const before = logs.mark();
    await fetch(`${server.url}/healthz`, { method: "HEAD" });
    const line = await logs.waitFor("request", before);
    expect(line).toMatchObject({ method: "HEAD", path: "/healthz", status: 200 });
  });
});

describe("OPTIONS /graphql: 204 whatever the body and content type", () => {
  it.each([
    ["no body, no content type", {}, undefined],
    ["application/json, no body", { "content-type": "application/json" }, undefined],
    ["application/json, not JSON", { "content-type": "application/json" }, "{{{"],
    ["text/plain", { "content-type": "text/plain" }, "hello"],
    ["a content type Fastify cannot parse", { "content-type": "application/x-nope" }, "x"],
    ["an invalid content type", { "content-type": "///" }, "x"],
  ] as [string, Record<string, string>, string | undefined][])("%s", async (_name, headers, body) => {
    const res = await fetch(`${server.url}/graphql`, { method: "OPTIONS", headers, body });
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, POST, OPTIONS");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe("");
  });

  it("the same connection serves the next request after an OPTIONS with an unread body", async () => {
    const { RawConnection } = await import("../support/raw-http");
    const conn = await RawConnection.open(server.url);
    try {
      conn.write(
        "OPTIONS /graphql HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\n{{{{{",
      );
      expect((await conn.read()).status).toBe(204);
      conn.write("GET /graphql?query=%7Bme%7Bid%7D%7D HTTP/1.1\r\nHost: localhost\r\n\r\n");
      const next = await conn.read();
      expect(next.status).toBe(200);
      expect(JSON.parse(next.body)).toEqual({ data: { me: null } });
    } finally {
      conn.destroy();
    }
  });

  it("DELETE with application/json and no body: 405, not a body error", async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "DELETE",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST, OPTIONS");
  });
});

describe("Cache-Control: no-store on every /graphql answer", () => {
  it.each([
    ["a query with a key", () => server.gql("{ me { username } }", undefined, auth(key))],
    ["an anonymous query", () => server.gql("{ me { username } }")],
    ["a 401", () => server.gql("{ me { username } }", undefined, { authorization: "Token nope" })],
    ["a syntax error", () => server.gql("{ me {")],
  ])("%s", async (_name, send) => {
    const res = await send();
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it.each([
    ["GET query", () => fetch(`${server.url}/graphql?query=%7Bme%7Bid%7D%7D`)],
    ["GET from a browser (the playground)", () => fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } })],
    [
      "bad JSON",
      () =>
        fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" }),
    ],
    [
      "415",
      () =>
        fetch(`${server.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/xml" },
          body: "<a/>",
        }),
    ],
    ["405", () => fetch(`${server.url}/graphql`, { method: "PUT" })],
    ["/graphql/", () => fetch(`${server.url}/graphql/?query=%7Bme%7Bid%7D%7D`)],
  ])("%s", async (_name, send) => {
    const res = await send();
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("CORS by default: any origin, never credentials", () => {
  const ORIGIN = "https://some-app.example";

  it("answers a preflight from any origin", async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "OPTIONS",
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type"]));
  });

  it("lets a page read the answer, Retry-After and WWW-Authenticate included", async () => {
    const res = await server.gql("{ me { username } }", undefined, { origin: ORIGIN, ...auth(key) });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("access-control-expose-headers")).toMatch(/Retry-After/);
    expect(res.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/);
  });

  it("keeps CSRF prevention: a cross-site text/plain POST is refused", async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "text/plain" },
      body: JSON.stringify({ query: "mutation { revokeAllTokens }" }),
    });
    expect(res.status).toBe(400);
  });
});

describe("two Authorization headers", () => {
  it.each([
    ["two keys", [`Token ${"a".repeat(40)}`, `Token ${"b".repeat(40)}`]],
    ["the right key twice", ["KEY", "KEY"]],
    ["a key and another scheme", ["KEY", "Basic YTpi"]],
  ])("%s: 401 with DRF's header message and WWW-Authenticate, nothing runs", async (_name, values) => {
    const before = await countRows(server.app.db, "Token");
    const headers = values.map((v) => `Authorization: ${v.replace("KEY", `Token ${key}`)}`).join("\r\n");
    const body = JSON.stringify({ query: "mutation { revokeAllTokens }" });
    const res = await rawRequest(
      server.url,
      `POST /graphql HTTP/1.1\r\nHost: localhost\r\n${headers}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe("Token");
    expect(JSON.parse(res.body)).toEqual({
      errors: [
        {
          message: "Invalid token header. Token string should not contain spaces.",
          extensions: { code: "UNAUTHENTICATED" },
        },
      ],
    });
    expect(await countRows(server.app.db, "Token")).toBe(before);
  });

  it("one header still works", async () => {
    const res = await rawRequest(
      server.url,
      `GET /graphql?query=%7Bme%7Busername%7D%7D HTTP/1.1\r\nHost: localhost\r\nAuthorization: Token ${key}\r\nConnection: close\r\n\r\n`,
    );
    expect(JSON.parse(res.body)).toEqual({ data: { me: { username: "amit" } } });
  });
});

describe("GET /", () => {
  it("points to the playground and the endpoint", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const page = await res.text();
    expect(page).toContain('href="/playground"');
    expect(page).toContain('href="/graphql"');
    // The links work.
    expect((await fetch(`${server.url}/playground`)).status).toBe(200);
  });
});
