import { startServer, type TestServer } from "../support/server";

// CORS_ORIGINS narrows the origins a browser may call from; any origin,
// without credentials, by default. Apollo's CSRF prevention stays on either way.

const ORIGIN = "https://app.example";

const preflight = (server: TestServer, origin: string) =>
  fetch(`${server.url}/graphql`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  });

describe("with CORS_ORIGINS set", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ CORS_ORIGINS: `${ORIGIN}, https://other.example` });
  });
  afterAll(() => server.close());

  it("answers a preflight from an allowed origin with 204, the CORS headers and Allow", async () => {
    const res = await preflight(server, ORIGIN);
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, POST, OPTIONS");
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type"]));
    expect(res.headers.get("vary")).toMatch(/origin/i);
  });

  it("gives no Access-Control-Allow-Origin to an origin not listed", async () => {
    const res = await preflight(server, "https://evil.example");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const post = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
    expect(post.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("still answers a plain OPTIONS without Origin as the contract says", async () => {
    const res = await fetch(`${server.url}/graphql`, { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, POST, OPTIONS");
  });

  it("adds the origin to actual responses, exposing Retry-After and WWW-Authenticate", async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-expose-headers")).toMatch(/Retry-After/);
    expect(res.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/);
  });

  it("keeps CSRF prevention: a text/plain POST is refused with 400, even from an allowed origin", async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/cross-site request forgery/i);
  });
});

describe("without CORS_ORIGINS (the default)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it("lets any origin call, never with credentials, and OPTIONS keeps its contract", async () => {
    const res = await preflight(server, ORIGIN);
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, POST, OPTIONS");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    const post = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(post.headers.get("access-control-allow-origin")).toBe("*");
    expect(post.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("refuses a text/plain POST and a form POST with 400 (CSRF prevention)", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": type },
        body: '{"query":"{ me { id } }"}',
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    const plain = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: '{"query":"{ me { id } }"}',
    });
    expect(plain.status).toBe(400);
  });
});
