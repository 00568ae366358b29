import { execute } from "../support/rows";
import { getIntrospectionQuery } from "graphql";
import { StudentsDocument, WhoAmIDocument } from "../generated/graphql";
import { auth, startServer, type GraphQLResponse, type TestServer } from "../support/server";

// The document limits (graphql-armor + the parser's token limit), batching,
// and what production hides. Every refusal: HTTP 400, GRAPHQL_VALIDATION_FAILED.
// The documents here are built to size (depth, aliases, directives, tokens,
// cost), misspelt or malformed on purpose, so they go as raw strings
// (server.raw); the few ordinary operations are typed documents.

/** `__type` is not exempt like `__schema`, and ofType nests as deep as asked (leaves count). */
function deepQuery(depth: number): string {
  let inner = "name";
  for (let i = 0; i < depth - 4; i++) inner = `ofType { ${inner} }`;
  return `{ __type(name: "User") { fields { type { ${inner} } } } }`;
}

function expectLimit(res: GraphQLResponse<unknown>, message: RegExp) {
  expect(res.status).toBe(400);
  expect(res.body.data).toBeUndefined();
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors![0]!.message).toMatch(message);
  expect(res.body.errors![0]!.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
}

describe("GraphQL limits, default settings", () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startServer();
    ({ token: key } = await server.user("limits"));
  });
  afterAll(() => server.close());

  it("refuses a document deeper than MAX_DEPTH (8) and runs one within it", async () => {
    expectLimit(await server.raw(deepQuery(9)), /^Query depth limit of 8 exceeded, found 9\.$/);
    const ok = await server.raw(deepQuery(8));
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
  });

  it("lets GraphiQL's full introspection query through: __schema is exempt from depth and cost", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const res = await server.raw(query);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect((res.body.data as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(10);
  });

  it("refuses more than MAX_ALIASES (15) aliases", async () => {
    // graphql-armor does not count aliases of __typename.
    const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(" ");
    expectLimit(
      await server.raw(`{ ${aliases(16)} }`, undefined, auth(key)),
      /^Aliases limit of 15 exceeded, found 16\.$/,
    );
    expect((await server.raw(`{ ${aliases(15)} }`, undefined, auth(key))).status).toBe(200);
  });

  it("refuses more than MAX_DIRECTIVES (50) directives", async () => {
    const fragments = (n: number) =>
      Array.from({ length: n }, () => "... on Query @include(if: true) { __typename }").join(" ");
    expectLimit(await server.raw(`{ ${fragments(51)} }`), /^Directives limit of 50 exceeded, found 51\.$/);
    expect((await server.raw(`{ ${fragments(50)} }`)).status).toBe(200);
  });

  it("refuses more than MAX_TOKENS (1000) tokens with a 400, not armor's 500", async () => {
    // `aN: __typename` is 3 tokens; distinct names keep graphql-js's overlap check quiet.
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(" ");
    expectLimit(await server.raw(`{ ${fields(334)} }`), /^Token limit of 1000 exceeded\.$/);
    const under = await server.raw(`{ ${fields(330)} }`);
    expect(under.status).toBe(200);
    expect(under.body.errors).toBeUndefined();
  });

  it("answers a syntax error 400 GRAPHQL_PARSE_FAILED (the maxTokens bug gave 500)", async () => {
    for (const query of ["{ me { id }", "{ me { id } } }", "query {", "{ me(id: ) { id } }"]) {
      const res = await server.raw(query);
      expect(res.status).toBe(400);
      expect(res.body.errors![0]!.message).toMatch(/^Syntax Error: /);
      expect(res.body.errors![0]!.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    }
  });

  it("refuses a batch (a JSON array body) with 400", async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth(key) },
      body: JSON.stringify([{ query: "{ me { id } }" }, { query: "{ me { id } }" }]),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string }[] };
    expect(body.errors[0]!.message).toBe("Operation batching disabled.");
  });

  it("suggests field names outside production, with a stack trace", async () => {
    const res = await server.raw("{ me { usernam } }", undefined, auth(key));
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.message).toContain('Did you mean "username"?');
    expect(res.body.errors![0]!.extensions?.stacktrace).toBeDefined();
  });
});

describe("GraphQL limits from the settings", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ MAX_DEPTH: "5", MAX_ALIASES: "2", MAX_DIRECTIVES: "1", MAX_TOKENS: "4000" });
  });
  afterAll(() => server.close());

  it("uses MAX_DEPTH, MAX_ALIASES, MAX_DIRECTIVES", async () => {
    expectLimit(await server.raw(deepQuery(6)), /^Query depth limit of 5 exceeded, found 6\.$/);
    expectLimit(
      await server.raw("{ a: me { id } b: me { id } c: me { id } }"),
      /^Aliases limit of 2 exceeded, found 3\.$/,
    );
    expectLimit(
      await server.raw(
        "{ ... on Query @include(if: true) { __typename } ... on Query @skip(if: false) { __typename } }",
      ),
      /^Directives limit of 1 exceeded, found 2\.$/,
    );
  });

  it("uses MAX_TOKENS: 500 aliases get past the parser at 4000 tokens and meet the alias limit", async () => {
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: me { id }`).join(" ");
    expectLimit(await server.raw(`{ ${aliases} }`), /^Aliases limit of 2 exceeded, found 500\.$/);
  });

  it("uses MAX_COST", async () => {
    const cheap = await startServer({ MAX_COST: "5" });
    try {
      const res = await cheap.raw("{ students { count results { id name roll city createdAt updatedAt } } }");
      expectLimit(res, /^Query Cost limit of 5 exceeded, found [\d.]+\.$/);
      expect((await cheap.run(WhoAmIDocument)).status).toBe(200);
    } finally {
      await cheap.close();
    }
  });
});

describe("production (NODE_ENV=production)", () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startServer({ NODE_ENV: "production", LOGIN_RATE: "1/min" });
    ({ token: key } = await server.user("prod"));
  });
  afterAll(() => server.close());

  const STACK = /stacktrace|\n\s+at |\.ts:\d+|node_modules/;

  it("gives no field suggestions", async () => {
    const res = await server.raw("{ me { usernam } }", undefined, auth(key));
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.message).not.toMatch(/Did you mean/);
    expect(res.body.errors![0]!.message).toMatch(/^Cannot query field "usernam" on type "User"\./);
    const arg = await server.raw("{ students(limt: 1) { count } }", undefined, auth(key));
    expect(JSON.stringify(arg.body)).not.toMatch(/Did you mean/);
  });

  it("shows no stack trace in any kind of error response", async () => {
    const post = (body: string, type = "application/json") =>
      fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": type, ...auth(key) }, body });
    const responses = [
      await post("{bad json"),
      await post(""),
      await post("query=x", "application/x-www-form-urlencoded"),
      await post("{ me { id } }", "text/plain"),
      await post(JSON.stringify({ query: "{ me { id }" })),
      await post(JSON.stringify({ query: "{ nope }" })),
      await post(JSON.stringify({ query: deepQuery(20) })),
      await post(JSON.stringify([{ query: "{ me { id } }" }])),
      await post(JSON.stringify({ query: "query($id: ID!) { student(id: $id) { id } }", variables: { id: {} } })),
      await post(
        JSON.stringify({ query: 'mutation { createStudent(input: {name: "", roll: -1, city: "x"}) { id } }' }),
      ),
      await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Token nope" },
        body: "{}",
      }),
      await fetch(`${server.url}/graphql?query=${encodeURIComponent("mutation { revokeAllTokens }")}`),
      await fetch(`${server.url}/nowhere`),
    ];
    for (let i = 0; i < 2; i++) {
      responses.push(
        await post(
          JSON.stringify({ query: 'mutation { obtainToken(username: "prod", password: "wrong") { token } }' }),
        ),
      );
    }
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s >= 400 || s === 200)).toBe(true);
    expect(statuses).toContain(429);
    for (const res of responses) {
      const text = await res.text();
      expect(text).not.toMatch(STACK);
    }
  });

  it("says only 'Internal server error.' for an unexpected failure, where development shows its cause", async () => {
    const dev = await startServer();
    try {
      for (const s of [server, dev]) {
        const { token } = await s.user("broken");
        // Break the database under the running server: a real internal error.
        await execute(s.app.db, 'ALTER TABLE "Student" RENAME TO "Gone"');
        const res = await s.run(StudentsDocument, {}, auth(token));
        await execute(s.app.db, 'ALTER TABLE "Gone" RENAME TO "Student"');
        expect(res.body.errors![0]!.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
        if (s === server) {
          expect(res.body.errors![0]!.message).toBe("Internal server error.");
          expect(JSON.stringify(res.body)).not.toMatch(STACK);
        } else {
          expect(res.body.errors![0]!.message).not.toBe("Internal server error.");
          expect(res.body.errors![0]!.extensions?.stacktrace).toBeDefined();
        }
      }
    } finally {
      await dev.close();
    }
  });
});
