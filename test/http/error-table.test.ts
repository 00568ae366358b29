import {
  CorrectnessMeAndStudentDocument,
  CorrectnessStudentsDocument,
  CreateStudentDocument,
  DeleteStudentDocument,
  ObtainTokenDocument,
  StudentsDocument,
  UsersDocument,
} from "../generated/graphql";
import { type RawResponse, postText, rawRequest, RawConnection, parseResponse } from "../support/raw-http";
import { source, startServer, type TestServer } from "../support/server";
import { holdSqliteWriteLock } from "../support/migrations";
import { execute } from "../support/rows";
import { Client } from "pg";
import { verdictOn } from "../../src/graphql/error-shape";
import { ERRORS, MESSAGES, type ErrorCode } from "../../src/shared/errors";

// Every code of the error table (src/shared/errors.ts), met over real HTTP by
// a request that raises it, in production: the row's status and headers, the
// error in GraphQL's shape with its code and message and no stack trace, and
// no `data` entry when it refuses the response. SCENARIOS is keyed by the
// table's codes, so a new row does not compile until it is listed here.

interface Body {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

interface Scenario {
  what: string;
  send(): Promise<RawResponse>;
  message: string | RegExp;
  /**
   * Raised by a field while the operation ran ("field" scope): the response
   * is 200 and keeps this `data` (null included). Otherwise it refuses the response.
   */
  keeps?: { data: unknown };
}

let server: TestServer;
let users = 0;
/** A key of a user of its own, so per-user limits of one scenario never touch another. */
const key = async (staff = false) => (await server.user(`walker${++users}`, { staff })).token;

const post = (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  rawRequest(server.url, postText(JSON.stringify({ query, variables }), headers));
const withKey = (token: string) => ({ authorization: `Token ${token}` });

/** The first answer on a connection that sends `head` and then nothing, until the server closes it. */
async function stalled(head: string): Promise<RawResponse> {
  const conn = await RawConnection.open(server.url);
  let received = Buffer.alloc(0);
  conn.socket.on("data", (d: Buffer) => (received = Buffer.concat([received, d])));
  conn.write(head);
  await conn.closed;
  const answer = parseResponse(received)?.response;
  if (!answer) throw new Error(`no answer before the close: ${JSON.stringify(received.toString())}`);
  return answer;
}

/** Runs `send` while `table` is away, as when the database loses it under the server. */
async function withoutTable(table: string, send: () => Promise<RawResponse>): Promise<RawResponse> {
  await execute(server.app.db, `ALTER TABLE "${table}" RENAME TO "${table}_away"`);
  try {
    return await send();
  } finally {
    await execute(server.app.db, `ALTER TABLE "${table}_away" RENAME TO "${table}"`);
  }
}

/** Runs `send` while another process holds the students' table (SQLite: its write lock) past DATABASE_TIMEOUT. */
async function whileLocked(send: () => Promise<RawResponse>): Promise<RawResponse> {
  const database = server.app.config.DATABASE_URL;
  if (database.provider === "sqlite") {
    const lock = await holdSqliteWriteLock(database.url);
    try {
      return await send();
    } finally {
      await lock.release();
    }
  }
  const other = new Client({ connectionString: database.url });
  await other.connect();
  try {
    await other.query('BEGIN; LOCK TABLE "Student" IN ACCESS EXCLUSIVE MODE');
    return await send();
  } finally {
    await other.query("ROLLBACK").catch(() => undefined);
    await other.end();
  }
}

const SCENARIOS: Record<ErrorCode, Scenario[]> = {
  UNAUTHENTICATED: [
    {
      what: "a field that needs a user, without a key (refused before it runs)",
      send: () => post(source(StudentsDocument)),
      message: MESSAGES.notAuthenticated,
    },
    {
      what: "an unknown key (refused by the context function)",
      send: () => post(source(StudentsDocument), {}, withKey("0".repeat(40))),
      message: MESSAGES.invalidToken,
    },
    {
      what: "two Authorization headers (refused before GraphQL)",
      send: async () =>
        rawRequest(
          server.url,
          postText(JSON.stringify({ query: source(StudentsDocument) }), { authorization: "Token a" }).replace(
            "\r\n\r\n",
            "\r\nauthorization: Token b\r\n\r\n",
          ),
        ),
      message: MESSAGES.spaces,
    },
  ],
  FORBIDDEN: [
    {
      what: "a staff-only field by a user who is not staff",
      send: async () => post(source(UsersDocument), {}, withKey(await key())),
      message: MESSAGES.forbidden,
    },
  ],
  NOT_FOUND: [
    {
      what: "deleting a student that is not there (its field's error)",
      send: async () => post(source(DeleteStudentDocument), { id: "999999" }, withKey(await key())),
      message: MESSAGES.notFound,
      keeps: { data: null },
    },
    {
      what: "a path with no route",
      send: () => rawRequest(server.url, "GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n"),
      message: MESSAGES.noRoute("GET", "/nowhere"),
    },
  ],
  BAD_USER_INPUT: [
    {
      what: "a blank name (its field's error)",
      send: async () =>
        post(source(CreateStudentDocument), { input: { name: "", roll: 1, city: "Ranchi" } }, withKey(await key())),
      message: `name: ${MESSAGES.blank}`,
      keeps: { data: null },
    },
    {
      what: "variables that do not coerce (nothing runs)",
      send: async () => post(source(CorrectnessStudentsDocument), { orderBy: "NOPE" }, withKey(await key())),
      message: /^Variable "\$orderBy" got invalid value "NOPE"/,
    },
  ],
  TOO_MANY_REQUESTS: [
    {
      what: "a login over LOGIN_RATE (a mutation field's refusal)",
      send: async () => {
        const login = () => post(source(ObtainTokenDocument), { username: "nobody", password: "wrong" });
        const first = await login();
        expect(JSON.parse(first.body)).toMatchObject({ data: null, errors: [{ message: MESSAGES.badCredentials }] });
        return login();
      },
      message: /^Request was throttled\. Expected available in \d+ seconds\.$/,
    },
    {
      what: "a request over USER_RATE (refused by the context function)",
      send: async () => {
        const token = await key();
        for (let i = 0; i < 2; i++) expect((await post(source(StudentsDocument), {}, withKey(token))).status).toBe(200);
        return post(source(StudentsDocument), {}, withKey(token));
      },
      message: /^Request was throttled\. Expected available in \d+ seconds\.$/,
    },
  ],
  GRAPHQL_PARSE_FAILED: [
    { what: "a document that does not parse", send: () => post("{ students {"), message: /^Syntax Error: / },
  ],
  GRAPHQL_VALIDATION_FAILED: [
    {
      what: "an unknown field",
      send: () => post("{ nope }"), // refused on purpose: not a typed document
      message: 'Cannot query field "nope" on type "Query".',
    },
    {
      what: "a document over MAX_TOKENS",
      send: () => post(`{ ${"a ".repeat(1100)}}`),
      message: "Token limit of 1000 exceeded.",
    },
  ],
  PERSISTED_QUERY_NOT_SUPPORTED: [
    {
      what: "an automatic persisted query",
      send: () =>
        rawRequest(
          server.url,
          postText(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } })),
        ),
      message: "PersistedQueryNotSupported",
    },
  ],
  OPERATION_RESOLUTION_FAILURE: [
    {
      what: "two operations and no operationName",
      send: () => post("query A { __typename } query B { __typename }"),
      message: "Must provide operation name if query contains multiple operations.",
    },
  ],
  BAD_REQUEST: [
    {
      what: "a request without a usable Host",
      send: () => rawRequest(server.url, "GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: a b\r\n\r\n"),
      message: MESSAGES.noHost,
    },
    {
      what: "a body that is not JSON",
      send: () => rawRequest(server.url, postText("{not json")),
      message: MESSAGES.invalidJson,
    },
    {
      what: "a text/plain POST (CSRF prevention)",
      send: () =>
        rawRequest(server.url, postText(JSON.stringify({ query: "{ __typename }" }), { "content-type": "text/plain" })),
      message: /^This operation has been blocked as a potential Cross-Site Request Forgery/,
    },
  ],
  METHOD_NOT_ALLOWED: [
    {
      what: "PUT /graphql",
      send: () => rawRequest(server.url, "PUT /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"),
      message: MESSAGES.methodNotAllowed("PUT"),
    },
  ],
  REQUEST_TIMEOUT: [
    {
      what: "headers that stop arriving",
      send: () => stalled("POST /graphql HTTP/1.1\r\nHost: localhost\r\n"),
      message: MESSAGES.requestTimeout,
    },
  ],
  PAYLOAD_TOO_LARGE: [
    {
      what: "a body over BODY_LIMIT",
      send: () => rawRequest(server.url, postText(JSON.stringify({ query: `{ __typename }${" ".repeat(5000)}` }))),
      message: MESSAGES.bodyTooLarge,
    },
  ],
  UNSUPPORTED_MEDIA_TYPE: [
    {
      what: "a form POST",
      send: () =>
        rawRequest(
          server.url,
          postText("query=%7B__typename%7D", { "content-type": "application/x-www-form-urlencoded" }),
        ),
      message: MESSAGES.unsupportedMediaType,
    },
  ],
  REQUEST_HEADER_FIELDS_TOO_LARGE: [
    {
      what: "headers over Node's 16 KB",
      send: () => rawRequest(server.url, postText("{}", { authorization: `Token ${"a".repeat(20 * 1024)}` })),
      message: MESSAGES.headersTooLarge,
    },
  ],
  INTERNAL_SERVER_ERROR: [
    {
      what: "a field whose table is gone (its field's error, next to data)",
      send: async () => {
        const token = await key();
        return withoutTable("Student", () =>
          post(source(CorrectnessMeAndStudentDocument), { id: "1" }, withKey(token)),
        );
      },
      message: MESSAGES.internal,
      keeps: { data: { me: { id: expect.any(String) }, student: null } },
    },
    {
      what: "the keys' table gone while the context function looks one up",
      send: async () => {
        const token = await key();
        return withoutTable("Token", () => post(source(StudentsDocument), {}, withKey(token)));
      },
      message: MESSAGES.internal,
    },
  ],
  SERVICE_UNAVAILABLE: [
    {
      what: "a write while another process holds the database past DATABASE_TIMEOUT",
      send: async () => {
        const token = await key();
        return whileLocked(() =>
          post(source(CreateStudentDocument), { input: { name: "Locked", roll: 4242, city: "Pune" } }, withKey(token)),
        );
      },
      message: /^The database (is busy with another process's write|is not answering); try again shortly\.$/,
    },
  ],
};

beforeAll(async () => {
  server = await startServer({
    NODE_ENV: "production",
    LOGIN_RATE: "1/min",
    USER_RATE: "2/min",
    BODY_LIMIT: "4096",
    REQUEST_TIMEOUT: "1s",
    DATABASE_TIMEOUT: "1s",
  });
});
afterAll(() => server.close());

const cases = (Object.keys(ERRORS) as ErrorCode[]).flatMap((code) =>
  SCENARIOS[code].map((scenario) => ({ code, ...scenario })),
);

it.each(cases)("$code: $what", async ({ code, send, message, keeps }) => {
  const res = await send();
  const body = JSON.parse(res.body) as Body;
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(message) })]);
  const error = body.errors![0]!;
  expect(error.extensions?.code).toBe(code);
  expect(error.extensions).not.toHaveProperty("stacktrace");
  if (code === "INTERNAL_SERVER_ERROR") expect(error.extensions?.requestId).toBe(res.headers["x-request-id"]);
  const rule = ERRORS[code];
  if (keeps) {
    expect(res.status).toBe(200);
    expect(body.data).toEqual(keeps.data);
    return;
  }
  expect(res.status).toBe(rule.status);
  expect(body).not.toHaveProperty("data");
  for (const [name, value] of Object.entries(rule.headers?.(error.extensions ?? {}) ?? {})) {
    expect(res.headers[name]).toBe(value);
  }
  if (code === "TOO_MANY_REQUESTS") expect(res.headers["retry-after"]).toBe(String(error.extensions?.retryAfter));
});

it("holds the contract's rows (../shared/api-contract.graphql), which the walk above shows the server follows", () => {
  const none = {};
  expect(ERRORS.UNAUTHENTICATED).toMatchObject({ status: 401, scope: "operation" });
  expect(ERRORS.UNAUTHENTICATED.headers?.(none)).toEqual({ "www-authenticate": "Token" });
  expect(ERRORS.FORBIDDEN).toEqual({ status: 403, scope: "operation" });
  // NOT_FOUND and BAD_USER_INPUT: 200, errors of their field.
  expect(ERRORS.NOT_FOUND.scope).toBe("field");
  expect(ERRORS.BAD_USER_INPUT.scope).toBe("field");
  expect(ERRORS.TOO_MANY_REQUESTS).toMatchObject({ status: 429, scope: "operation" });
  expect(ERRORS.TOO_MANY_REQUESTS.headers?.({ retryAfter: 12 })).toEqual({ "retry-after": "12" });
});

it("lists a request for every code that a request can meet", () => {
  const untested = (Object.keys(SCENARIOS) as ErrorCode[]).filter((code) => SCENARIOS[code].length === 0);
  expect(untested).toEqual([]);
});

describe("the verdict on a response's errors", () => {
  const error = (code: ErrorCode, extensions: Record<string, unknown> = {}) => ({
    message: code,
    extensions: { code, ...extensions },
  });

  it('lets a "response" error refuse the whole response, next to data too', () => {
    const errors = [error("NOT_FOUND"), error("SERVICE_UNAVAILABLE", { retryAfter: 7 })];
    expect(verdictOn(errors, { students: null, me: { id: "1" } })).toEqual({
      status: 503,
      headers: { "retry-after": "7" },
      refused: true,
      decidedBy: 1,
    });
  });

  it('lets an "operation" error refuse only when nothing of the operation came through', () => {
    const errors = [error("TOO_MANY_REQUESTS", { retryAfter: 3 })];
    expect(verdictOn(errors, null)).toMatchObject({ status: 429, headers: { "retry-after": "3" }, refused: true });
    expect(verdictOn(errors, { me: { id: "1" } })).toEqual({ status: 200, headers: {}, refused: false, decidedBy: -1 });
  });
});
