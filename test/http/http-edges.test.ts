import { countRows } from "../support/rows";
import { WhoAmIDocument } from "../generated/graphql";
import { request as httpRequest } from "node:http";
import { auth, startServer, type TestServer } from "../support/server";

// The HTTP edges a client can hit around /graphql: other methods, and
// requests Node's parser refuses before any route runs. Every answer keeps
// the GraphQL error shape and a 4xx status.

let server: TestServer;
let key: string;
beforeAll(async () => {
  server = await startServer();
  ({ token: key } = await server.user("amit"));
});
afterAll(() => server.close());

type ErrorBody = { errors: { message: string; extensions: { code: string } }[] };

describe("methods /graphql does not take", () => {
  it.each(["PUT", "PATCH", "DELETE"])(
    "%s: 405 with Allow, in GraphQL's error shape, and nothing runs",
    async (method) => {
      const before = await countRows(server.app.db, "Token");
      const res = await fetch(`${server.url}/graphql`, {
        method,
        headers: { "content-type": "application/json", ...auth(key) },
        body: JSON.stringify({ query: "mutation { revokeAllTokens }" }),
      });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, POST, OPTIONS");
      expect(await res.json()).toEqual({
        errors: [{ message: `Method "${method}" not allowed.`, extensions: { code: "METHOD_NOT_ALLOWED" } }],
      });
      expect(await countRows(server.app.db, "Token")).toBe(before);
    },
  );

  it("an unknown path is still a 404", async () => {
    const res = await fetch(`${server.url}/graphqlx`, { method: "PUT" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).errors[0]!.extensions.code).toBe("NOT_FOUND");
  });
});

/** A raw request, so headers over Node's limit can be sent (fetch refuses some). */
function raw(
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(`${server.url}/graphql`);
  const body = JSON.stringify({ query: "{ me { username } }" });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("very long Authorization headers", () => {
  it("8 KB: within Node's limit, an unknown key: 401 Invalid token", async () => {
    const res = await raw({ authorization: `Token ${"a".repeat(8 * 1024)}` });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe("Token");
    expect(JSON.parse(res.body)).toMatchObject({
      errors: [{ message: "Invalid token.", extensions: { code: "UNAUTHENTICATED" } }],
    });
  });

  it("over Node's 16 KB header limit: 431 in GraphQL's error shape, never a 500", async () => {
    const res = await raw({ authorization: `Token ${"a".repeat(20 * 1024)}` });
    expect(res.status).toBe(431);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(res.body)).toEqual({
      errors: [
        { message: "The request headers are too large.", extensions: { code: "REQUEST_HEADER_FIELDS_TOO_LARGE" } },
      ],
    });
  });

  it("the server keeps serving afterwards", async () => {
    const res = await server.run(WhoAmIDocument, {}, auth(key));
    expect(res.body).toEqual({ data: { me: { username: "amit" } } });
  });
});
