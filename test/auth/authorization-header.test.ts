import { updateRows } from "../support/rows";
import { ObtainTokenDocument, RevokeTokenDocument, WhoAmIDocument } from "../generated/graphql";
import { auth, startServer, type TestServer } from "../support/server";

// Every way the Authorization header can be wrong, with DRF's message, a 401
// and `WWW-Authenticate: Token`, even on a field that needs no user.

let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startServer();
  ({ token: key } = await server.user("amit"));
});
afterAll(() => server.close());

async function expect401(authorization: string, message: string) {
  const res = await server.run(WhoAmIDocument, {}, { authorization });
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe("Token");
  expect(res.body.errors?.[0]?.message).toBe(message);
  expect(res.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
}

describe("Authorization header", () => {
  it("authenticates `Token <key>` and `Bearer <key>`, keyword in any case", async () => {
    for (const keyword of ["Token", "token", "TOKEN", "Bearer", "bearer"]) {
      const res = await server.run(WhoAmIDocument, {}, { authorization: `${keyword} ${key}` });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ me: { username: "amit" } });
    }
  });

  it("treats a request without the header as anonymous", async () => {
    const res = await server.run(WhoAmIDocument);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ me: null });
  });

  it("treats another scheme as anonymous, as DRF does", async () => {
    const res = await server.run(WhoAmIDocument, {}, { authorization: "Basic YW1pdDpwdw==" });
    expect(res.body.data).toEqual({ me: null });
  });

  it("answers each malformed form with DRF's message", async () => {
    await expect401("Token", "Invalid token header. No credentials provided.");
    await expect401("Bearer   ", "Invalid token header. No credentials provided.");
    await expect401(`Token ${key} extra`, "Invalid token header. Token string should not contain spaces.");
    await expect401("Token 0123456789abcdef0123456789abcdef0123456x", "Invalid token.");
    await expect401("Token short", "Invalid token.");
  });

  it("rejects bytes outside ASCII in the key", async () => {
    // fetch refuses non-Latin-1 header values, so send raw UTF-8 bytes over a socket.
    const { request } = await import("node:http");
    const body = JSON.stringify({ query: "{ me { username } }" });
    const res = await new Promise<{ status: number; text: string; www: string | undefined }>((resolve, reject) => {
      const req = request(
        `${server.url}/graphql`,
        { method: "POST", headers: { "content-type": "application/json" } },
        (r) => {
          let text = "";
          r.on("data", (d) => (text += d));
          r.on("end", () => resolve({ status: r.statusCode!, text, www: r.headers["www-authenticate"] as string }));
        },
      );
      req.on("error", reject);
      req.setHeader("authorization", Buffer.from("Token clé🔑", "utf8").toString("latin1"));
      req.end(body);
    });
    expect(res.status).toBe(401);
    expect(res.www).toBe("Token");
    expect(JSON.parse(res.text).errors[0].message).toBe(
      "Invalid token header. Token string should not contain invalid characters.",
    );
  });

  it("rejects a revoked key", async () => {
    const { token } = await server.user("revoked");
    expect((await server.run(RevokeTokenDocument, {}, auth(token))).body.data?.revokeToken).toBe(true);
    await expect401(`Token ${token}`, "Invalid token.");
  });

  it("rejects the key of an inactive user", async () => {
    const { id, token } = await server.user("inactive");
    await updateRows(server.app.db, "User", { id }, { isActive: false });
    await expect401(`Token ${token}`, "User inactive or deleted.");
  });

  it("rejects an expired key", async () => {
    const { id, token } = await server.user("expired");
    await updateRows(server.app.db, "Token", { userId: id }, { expiresAt: new Date(Date.now() - 1000) });
    await expect401(`Token ${token}`, "Token has expired.");
  });

  it("rejects bad credentials even for a mutation that needs none", async () => {
    const res = await server.run(
      ObtainTokenDocument,
      { username: "amit", password: "x" },
      { authorization: "Token nope" },
    );
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.message).toBe("Invalid token.");
  });
});
