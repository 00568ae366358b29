import { execute } from "../support/rows";
import { CorrectnessStudentsDocument } from "../generated/graphql";
import { captureLogs, type LogLine } from "../support/logs";
import { auth, startServer, type TestServer } from "../support/server";

// What production tells a client about the schema and about our own
// failures: no "Did you mean" anywhere, and an internal error says only that
// it happened, with the request id that finds it in the log.

interface Line extends LogLine {
  level: number;
  msg: string;
  reqId?: string;
  requestId?: string;
  err?: { message?: string; stack?: string; type?: string };
}

describe("in production", () => {
  let server: TestServer;
  const logs = captureLogs<Line>();
  const lines = logs.lines;
  let token: string;
  beforeAll(async () => {
    server = await startServer({ NODE_ENV: "production" }, { logDestination: logs.destination });
    token = (await server.user("prod")).token;
  });
  afterAll(() => server.close());

  it.each([
    ["a field", "{ studens { count } }"],
    ["an argument", '{ students(serch: "a") { count } }'],
    ["an enum value in the document", "{ students(orderBy: NAME_AS) { count } }"],
    ["a type", "query($o: StudentOrdr) { students { count } }"],
    ["an input field", 'mutation { createStudent(input: { nam: "a", roll: 1, city: "b" }) { id } }'],
  ])("suggests nothing for a misspelt %s", async (_what, query) => {
    const res = await server.gql(query, undefined, auth(token));
    expect(res.body.errors?.length).toBeGreaterThan(0);
    for (const error of res.body.errors!) expect(error.message).not.toMatch(/did you mean/i);
  });

  it("suggests nothing for a bad enum value or input field in the variables", async () => {
    const res = await server.run(CorrectnessStudentsDocument, { orderBy: "NAME_AS" as never }, auth(token));
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors![0]!.message).toMatch(
      /^Variable "\$orderBy" got invalid value "NAME_AS"; Value "NAME_AS" does not exist in "StudentOrder" enum\.$/,
    );
    const input = await server.gql(
      "mutation($i: StudentInput!) { createStudent(input: $i) { id } }",
      { i: { name: "a", roll: 1, city: "b", nme: "c" } },
      auth(token),
    );
    expect(input.body.errors?.length).toBeGreaterThan(0);
    for (const error of input.body.errors!) expect(error.message).not.toMatch(/did you mean/i);
  });

  it("answers an internal error with its request id and logs it at error level with the stack", async () => {
    // The database breaks under the server: the students' table is gone.
    await execute(server.app.db, 'DROP TABLE "Student"');
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "broken-db-1", ...auth(token) },
      body: JSON.stringify({ query: "{ me { id } students { count } }" }),
    });
    const body = (await res.json()) as {
      data: unknown;
      errors: { message: string; extensions: Record<string, unknown> }[];
    };
    expect(res.status).toBe(200); // the operation ran; `students` is non-null, so its null reaches the root
    expect(body.data).toBeNull();
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: "Internal server error.",
        extensions: { code: "INTERNAL_SERVER_ERROR", requestId: "broken-db-1" },
      }),
    ]);
    const logged = lines().filter((l) => l.msg === "internal server error" && l.reqId === "broken-db-1");
    expect(logged).toHaveLength(1);
    expect(logged[0]!.level).toBe(50);
    expect(logged[0]!.requestId).toBe("broken-db-1");
    expect(logged[0]!.err?.stack).toMatch(/\n\s+at /);
    expect(logged[0]!.err?.stack).toMatch(/Student/);
  });
});

describe("a failure outside the operation (the database gone while a key is looked up)", () => {
  it("is logged with the request id and answered 500 with it", async () => {
    const logs = captureLogs<Line>();
    const server = await startServer({ NODE_ENV: "production" }, { logDestination: logs.destination });
    try {
      const { token } = await server.user("gone");
      await execute(server.app.db, 'DROP TABLE "Token"');
      const res = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "broken-db-2", ...auth(token) },
        body: JSON.stringify({ query: "{ me { id } }" }),
      });
      expect(res.status).toBe(500);
      const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body).not.toHaveProperty("data");
      expect(body.errors).toEqual([
        { message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR", requestId: "broken-db-2" } },
      ]);
      const logged = logs.lines().filter((l) => l.msg === "internal server error" && l.reqId === "broken-db-2");
      expect(logged).toHaveLength(1);
      expect(logged[0]!.level).toBe(50);
      expect(logged[0]!.err?.stack).toMatch(/\n\s+at /);
    } finally {
      await server.close();
    }
  });
});
