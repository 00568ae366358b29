import { connect } from "node:net";
import {
  CreateStudentDocument,
  ObtainTokenDocument,
  RegisterDocument,
  StudentDocument,
  StudentsDocument,
  UsersDocument,
  WhoAmIDocument,
} from "../generated/graphql";
import { auth, startServer, type TestServer } from "../support/server";

// Hostile and odd requests through the real server: each gets a clear 4xx
// (or the contract's field error), and the server keeps answering /healthz.

let server: TestServer;
let key: string;
let staffKey: string;

beforeAll(async () => {
  server = await startServer();
  ({ token: key } = await server.user("target"));
  ({ token: staffKey } = await server.user("boss", { staff: true }));
});
afterAll(() => server.close());
afterEach(async () => {
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
});

/** Raw HTTP: the bodies and headers below are the hostile part, so they go as they are. */
async function post(body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth(key), ...headers },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    body: JSON.parse(text) as { data?: any; errors?: { message: string; extensions?: any }[] },
  };
}

function expectClear(
  res: { status: number; body: { errors?: { message: string }[] } },
  status: number,
  message: RegExp,
) {
  expect(res.status).toBe(status);
  expect(res.body.errors?.[0]?.message).toMatch(message);
}

it("malformed JSON: 400", async () => {
  expectClear(await post('{"query": "{ me { id } }"'), 400, /^The request body is not valid JSON\.$/);
});

it("wrong content type: 415, and text/plain is refused by CSRF prevention: 400", async () => {
  expectClear(
    await post("<query/>", { "content-type": "application/xml" }),
    415,
    /^Unsupported content type: send application\/json\.$/,
  );
  expectClear(
    await post('{"query":"{ me { id } }"}', { "content-type": "text/plain" }),
    400,
    /cross-site request forgery/i,
  );
});

it("empty body: 400", async () => {
  expectClear(await post(""), 400, /^The request body is empty/);
  expectClear(await post("{}"), 400, /^POST body missing, invalid Content-Type, or JSON object has no keys\.$/);
});

it("depth 30: 400", async () => {
  let inner = "name";
  for (let i = 0; i < 26; i++) inner = `ofType { ${inner} }`;
  const res = await post(JSON.stringify({ query: `{ __type(name: "User") { fields { type { ${inner} } } } }` }));
  expect(res.status).toBe(400);
  // The cost limit trips too; both say what was exceeded.
  expect(res.body.errors!.map((e) => e.message)).toContain("Query depth limit of 8 exceeded, found 30.");
  expect(res.body.errors!.every((e) => e.extensions.code === "GRAPHQL_VALIDATION_FAILED")).toBe(true);
});

it("500 aliases: 400 (the token limit trips first at the default settings)", async () => {
  const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: me { id }`).join(" ");
  const res = await post(JSON.stringify({ query: `{ ${aliases} }` }));
  expectClear(res, 400, /^(Token|Aliases) limit of \d+ exceeded/);
  expect(res.body.errors![0]!.extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
});

it("a 2 MB body: 413", async () => {
  const body = JSON.stringify({ query: "{ me { id } }", variables: { pad: "x".repeat(2 * 1024 * 1024) } });
  const res = await post(body);
  expectClear(res, 413, /^The request body is too large\.$/);
  expect(res.body.errors![0]!.extensions.code).toBe("PAYLOAD_TOO_LARGE");
});

it("variables of the wrong type: 400 BAD_USER_INPUT naming the variable", async () => {
  // Unchecked: the wrongly typed variables are what is under test.
  expectClear(
    await server.runUnchecked(StudentDocument, { id: { $ne: 1 } }, auth(key)),
    400,
    /^Variable "\$id" got invalid value/,
  );
  const res = await server.runUnchecked(
    CreateStudentDocument,
    { input: { name: "A", roll: "1; DROP TABLE", city: "B" } },
    auth(key),
  );
  expectClear(res, 400, /^Variable "\$input" got invalid value "1; DROP TABLE" at "input\.roll"; Int cannot represent/);
  expect(res.body.errors![0]!.extensions?.code).toBe("BAD_USER_INPUT");
  // Raw: variables that are a string, not an object, cannot go through a typed call.
  expectClear(
    await post(JSON.stringify({ query: "query($id: ID!) { student(id: $id) { id } }", variables: "id=1" })),
    400,
    /variables/,
  );
});

it("a 10,000-character username: a field error on register, a login failure on obtainToken, no 500", async () => {
  const username = "u".repeat(10_000);
  const reg = await server.run(RegisterDocument, {
    input: { username, email: "long@example.com", password: "a perfectly fine passphrase" },
  });
  expect(reg.status).toBe(200);
  expect(reg.body.errors![0]!.extensions?.code).toBe("BAD_USER_INPUT");
  expect(reg.body.errors![0]!.extensions?.fields?.username).toEqual([
    "Ensure this field has no more than 150 characters.",
  ]);
  const login = await server.run(ObtainTokenDocument, { username, password: "x" });
  expect(login.status).toBe(200);
  expect(login.body.errors![0]!.message).toBe("Unable to log in with provided credentials.");
});

it("SQL-injection-like and wildcard searches match literally", async () => {
  const names = ["100% sure", "snake_case", "back\\slash", "O'Brien", "plain"];
  for (const [i, name] of names.entries())
    await server.app.services.students.create({ name, roll: 9000 + i, city: "Town" });
  const search = async (s: string) => {
    const res = await server.run(StudentsDocument, { search: s, limit: 100 }, auth(key));
    expect(res.status).toBe(200);
    return res.body.data!.students.results.map((r) => r.name).sort();
  };
  expect(await search("' OR 1=1 --")).toEqual([]);
  expect(await search("%")).toEqual(["100% sure"]);
  expect(await search("_")).toEqual(["snake_case"]);
  expect(await search("\\")).toEqual(["back\\slash"]);
  expect(await search("'")).toEqual(["O'Brien"]);
  expect(await search("E_C")).toEqual(["snake_case"]);
  expect(await search('"; DROP TABLE "Student"; --')).toEqual([]);
  expect((await search("plain")).length).toBe(1);
  // The users list too (staff only).
  const users = await server.run(UsersDocument, { search: "%" }, auth(staffKey));
  const all = await server.run(UsersDocument, {}, auth(staffKey));
  expect(users.body.data!.users.count).toBe(0);
  expect(all.body.data!.users.count).toBeGreaterThan(1);
});

it("emoji and other non-ASCII text round-trip through createStudent and student", async () => {
  const input = { name: "Zoë 😀👩‍👩‍👧 Ñandú 北京 ﷽", roll: 777, city: "Москва · ∑ · 𝔘𝔫𝔦𝔠𝔬𝔡𝔢" };
  const created = await server.run(CreateStudentDocument, { input }, auth(key));
  expect(created.status).toBe(200);
  const { id } = created.body.data!.createStudent;
  const read = await server.run(StudentDocument, { id }, auth(key));
  expect(read.body.data!.student).toMatchObject(input);
  const found = await server.run(StudentsDocument, { search: "北京" }, auth(key));
  expect(found.body.data!.students.results.map((r) => r.roll)).toEqual([777]);
});

it("non-Latin-1 bytes in the Authorization header: 401 with DRF's message", async () => {
  const { hostname, port } = new URL(server.url);
  const body = JSON.stringify({ query: "{ me { id } }" });
  const head = [
    "POST /graphql HTTP/1.1",
    `Host: ${hostname}:${port}`,
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
  ].join("\r\n");
  // "Token " then UTF-8 for "ключ€", raw bytes on the wire.
  const request = Buffer.concat([
    Buffer.from(`${head}\r\nAuthorization: Token `, "latin1"),
    Buffer.from("ключ€", "utf8"),
    Buffer.from(`\r\n\r\n${body}`, "latin1"),
  ]);
  const response = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (data += d));
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
  expect(response).toMatch(/^HTTP\/1\.1 401 /);
  expect(response).toMatch(/\r\nwww-authenticate: Token\r\n/i);
  expect(response).toContain("Invalid token header. Token string should not contain invalid characters.");
});

it("a mutation over GET: 405", async () => {
  const res = await fetch(`${server.url}/graphql?query=${encodeURIComponent("mutation { revokeAllTokens }")}`, {
    headers: auth(key),
  });
  expect(res.status).toBe(405);
  const body = (await res.json()) as { errors: { message: string }[] };
  expect(body.errors[0]!.message).toBe("GET requests only support query operations, not mutation operations");
  // And the key was not revoked.
  expect((await server.run(WhoAmIDocument, {}, auth(key))).body.data?.me?.username).toBe("target");
});
