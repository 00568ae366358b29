import { startServer, type TestServer } from "../support/server";

// The playground over plain HTTP: who gets the page, the page's policy, and
// the assets it loads from this server.

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

describe("the playground over HTTP", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it.each(["/playground", "/graphql"])("GET %s from a browser is the page, with a strict CSP", async (path) => {
    const res = await fetch(`${server.url}${path}`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )default-src 'none'(;|$)/);
    expect(csp).not.toMatch(/unsafe-(eval|inline)/);
    const html = await res.text();
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(html).toContain(`nonce="${nonce}"`);
    // Every script and stylesheet comes from this server.
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.filter((u) => !u.startsWith("data:")).every((u) => u.startsWith("/playground/assets/"))).toBe(true);
    expect(urls.length).toBeGreaterThanOrEqual(6);
  });

  it("a new nonce for every page", async () => {
    const nonces = await Promise.all(
      [1, 2].map(async () => {
        const res = await fetch(`${server.url}/playground`);
        return /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy")!)![1];
      }),
    );
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  it("GET /graphql without text/html in Accept still runs the query", async () => {
    for (const accept of [undefined, "application/json", "*/*"]) {
      const res = await fetch(`${server.url}/graphql?query=${encodeURIComponent("{ me { id } }")}`, {
        headers: accept ? { accept } : {},
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ data: { me: null } });
    }
  });

  it("a browser following a GET ?query= link gets the answer, not the page", async () => {
    const res = await fetch(`${server.url}/graphql?query=${encodeURIComponent("{ me { id } }")}`, {
      headers: { accept: BROWSER_ACCEPT },
    });
    expect(await res.json()).toEqual({ data: { me: null } });
  });

  it("serves every asset the page names, with its type and for-good caching", async () => {
    const html = await (await fetch(`${server.url}/playground`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/playground\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.map((a) => a.split("?")[0]).sort()).toEqual(
      [
        "/playground/assets/graphiql.min.css",
        "/playground/assets/graphiql.min.js",
        "/playground/assets/playground.css",
        "/playground/assets/playground.js",
        "/playground/assets/react-dom.production.min.js",
        "/playground/assets/react.production.min.js",
      ].sort(),
    );
    for (const asset of assets) {
      const res = await fetch(`${server.url}${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(
        asset.includes(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8",
      );
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      const etag = res.headers.get("etag")!;
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
      const again = await fetch(`${server.url}${asset}`, { headers: { "if-none-match": etag } });
      expect(again.status).toBe(304);
    }
  });

  it("an unversioned asset URL is revalidated; an unknown asset is 404", async () => {
    const res = await fetch(`${server.url}/playground/assets/playground.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect((await fetch(`${server.url}/playground/assets/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/playground/assets/nope.js`)).status).toBe(404);
  });
});
