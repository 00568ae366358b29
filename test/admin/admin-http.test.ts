import { startServer, type TestServer } from "../support/server";

// The admin over plain HTTP (its page, policy and assets), and the two API
// additions it uses: users' filters and sort, and allTokens.

describe("the admin over HTTP", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it("GET /admin is the built page with a strict CSP, its nonce in the page, no inline script", async () => {
    const res = await fetch(`${server.url}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/(^|; )default-src 'none'(;|$)/);
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )connect-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-(eval|inline)/);
    const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)![1]!;
    const html = await res.text();
    expect(html).toContain(`<meta name="csp-nonce" content="${nonce}" />`);
    expect(html).not.toContain("{{nonce}}");
    // Scripts only by src, from this server; no inline script or style.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style|\sstyle=/i);
    const scripts = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThanOrEqual(1);
    expect(scripts.every((u) => /^\/admin\/assets\/[\w.-]+\.js$/.test(u))).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);

    const again = await fetch(`${server.url}/admin/`);
    expect(again.status).toBe(200);
    expect(/'nonce-([^']+)'/.exec(again.headers.get("content-security-policy")!)![1]).not.toBe(nonce);
  });

  it("serves the hashed assets for good, gzipped when asked, and 404 for others", async () => {
    const html = await (await fetch(`${server.url}/admin`)).text();
    const script = /<script[^>]*\bsrc="([^"]+)"/.exec(html)![1]!;
    const res = await fetch(`${server.url}${script}`, { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const body = await res.text();
    expect(body.length).toBeGreaterThan(10_000);
    // Nothing that would need 'unsafe-eval', and no font from a CDN.
    expect(body).not.toMatch(/\bnew Function\(|fonts\.googleapis/);
    const etag = res.headers.get("etag")!;
    expect((await fetch(`${server.url}${script}`, { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await fetch(`${server.url}/admin/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/admin/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });

  describe("API: users' filters and sort, allTokens", () => {
    let staff: string;
    let plain: string;
    beforeAll(async () => {
      staff = (await server.user("zed", { staff: true })).token;
      plain = (await server.user("anna")).token;
      const bea = await server.user("bea");
      await server.app.services.users.patch(String(bea.id), { isActive: false });
    });

    const USERS = `query ($isStaff: Boolean, $isActive: Boolean, $orderBy: UserOrder, $search: String) {
      users(isStaff: $isStaff, isActive: $isActive, orderBy: $orderBy, search: $search) { count results { username } }
    }`;
    const names = async (variables: Record<string, unknown>) => {
      const res = await server.gql<{ users: { count: number; results: { username: string }[] } }>(USERS, variables, {
        authorization: `Token ${staff}`,
      });
      expect(res.body.errors).toBeUndefined();
      return res.body.data!.users.results.map((u) => u.username);
    };

    it("filters by staff and active, and sorts", async () => {
      expect(await names({ isStaff: true })).toEqual(["zed"]);
      expect(await names({ isStaff: false })).toEqual(["anna", "bea"]);
      expect(await names({ isActive: false })).toEqual(["bea"]);
      expect(await names({ isActive: true, isStaff: false })).toEqual(["anna"]);
      expect(await names({ orderBy: "USERNAME_ASC" })).toEqual(["anna", "bea", "zed"]);
      expect(await names({ orderBy: "USERNAME_DESC" })).toEqual(["zed", "bea", "anna"]);
      expect(await names({ orderBy: "ID_DESC" })).toEqual(["bea", "anna", "zed"]);
      expect(await names({ orderBy: "DATE_JOINED_DESC" })).toEqual(["bea", "anna", "zed"]);
      expect(await names({ orderBy: "DATE_JOINED_ASC", isActive: true })).toEqual(["zed", "anna"]);
    });

    const ALL = `query ($search: String, $limit: Int, $offset: Int) {
      allTokens(search: $search, limit: $limit, offset: $offset) { count results { name prefix current user { username isStaff } } }
    }`;

    it("allTokens: every key with its owner, newest first, searchable; staff only", async () => {
      const res = await server.gql(ALL, {}, { authorization: `Token ${staff}` });
      expect(res.status).toBe(200);
      const { count, results } = res.body.data!.allTokens;
      expect(count).toBe(3);
      expect(results.map((t: { user: { username: string } }) => t.user.username)).toEqual(["bea", "anna", "zed"]);
      expect(results[2]).toMatchObject({ name: "test", current: true, user: { username: "zed", isStaff: true } });

      const found = await server.gql(ALL, { search: "ann" }, { authorization: `Token ${staff}` });
      expect(found.body.data!.allTokens.count).toBe(1);
      const prefix = results[0].prefix as string;
      const byPrefix = await server.gql(ALL, { search: prefix }, { authorization: `Token ${staff}` });
      expect(byPrefix.body.data!.allTokens.results.map((t: { prefix: string }) => t.prefix)).toEqual([prefix]);
      const paged = await server.gql(ALL, { limit: 1, offset: 1 }, { authorization: `Token ${staff}` });
      expect(paged.body.data!.allTokens).toMatchObject({ count: 3, results: [{ user: { username: "anna" } }] });

      const tooMany = await server.gql(ALL, { limit: 101 }, { authorization: `Token ${staff}` });
      expect(tooMany.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");

      const refused = await server.gql(ALL, {}, { authorization: `Token ${plain}` });
      expect(refused.status).toBe(403);
      expect(refused.body.errors?.[0]?.message).toBe("You do not have permission to perform this action.");
      expect((await server.gql(ALL, {})).status).toBe(401);
    });

    it("a user's keys carry the owner too", async () => {
      const res = await server.gql(`{ myTokens { name user { username } } }`, {}, { authorization: `Token ${plain}` });
      expect(res.body.data).toEqual({ myTokens: [{ name: "test", user: { username: "anna" } }] });
    });
  });
});
