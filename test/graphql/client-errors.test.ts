import { WhoAmIDocument } from "../generated/graphql";
import { expectError } from "../support/expect";
import { startServer, type TestServer } from "../support/server";

// Failures the client causes are never reported as the server's own
// (INTERNAL_SERVER_ERROR, "Internal server error." in production).

const post = (server: TestServer, body: unknown) =>
  fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe.each([["development"], ["production"]])("NODE_ENV=%s", (NODE_ENV) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ NODE_ENV });
  });
  afterAll(() => server.close());

  it("refuses a subscription (the schema has none) as an invalid document, 400", async () => {
    // Raw: the schema has no subscriptions, so this cannot be a typed document.
    const res = await server.raw("subscription { me { id } }");
    expectError(res, {
      code: "GRAPHQL_VALIDATION_FAILED",
      status: 400,
      message: "The subscription operation is not supported by this API.",
    });
    expect(res.body.data).toBeUndefined();
  });

  it("still runs queries and mutations", async () => {
    // Raw: a typed document holds one operation; this sends two.
    const res = await server.raw("query Q { me { id } } mutation M { revokeAllTokens }");
    expect(res.status).toBe(400); // several operations, no operationName: the usual refusal
    expect(res.body.errors?.[0]?.extensions?.code).toBe("OPERATION_RESOLUTION_FAILURE");
    expect((await server.run(WhoAmIDocument)).body).toEqual({ data: { me: null } });
  });

  it("answers an automatic-persisted-query hash with PERSISTED_QUERY_NOT_SUPPORTED, so a client falls back", async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } };
    for (const body of [{ extensions }, { query: "{ me { id } }", extensions }]) {
      const res = await post(server, body);
      const json = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(res.status).toBe(200);
      expect(json.errors).toHaveLength(1);
      expect(json.errors[0]).toMatchObject({
        message: "PersistedQueryNotSupported",
        extensions: { code: "PERSISTED_QUERY_NOT_SUPPORTED" },
      });
    }
  });

  it("ignores a query sent with other extensions", async () => {
    const res = await post(server, { query: "{ me { id } }", extensions: { clientLibrary: { name: "x" } } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { me: null } });
  });
});
