import { countRows, findRow, updateRows } from "../support/rows";
import { isObjectType } from "graphql";
import { Scope as ScopeName } from "../../src/graphql/scopes";
import { getSchema } from "../../src/schema";
import {
  AllTokensDocument,
  AuthEventsDocument,
  ChangePasswordDocument,
  CreateStudentDocument,
  CreateTokenDocument,
  CreateUserDocument,
  DeleteStudentDocument,
  DeleteUserDocument,
  MyTokensDocument,
  ObtainTokenDocument,
  PatchStudentDocument,
  PatchUserDocument,
  RegisterDocument,
  RevokeAllTokensDocument,
  RevokeTokenDocument,
  ScopedAliasedMeDocument,
  ScopedCreateStudentAndRevokeAllDocument,
  ScopedFragmentMeDocument,
  ScopedIncludeMeDocument,
  ScopedLogoutAndRevokeDocument,
  ScopedStudentsAndMyTokensDocument,
  ScopedTypenameDocument,
  StudentDocument,
  StudentsDocument,
  TokensDocument,
  UpdateStudentDocument,
  UpdateUserDocument,
  UserDocument,
  UsersDocument,
  WhoAmIDocument,
  type Scope,
} from "../generated/graphql";
import { expectError, NOT_STAFF } from "../support/expect";
import { auth, PASSWORD, startServer, type GraphQLResponse, type TestServer } from "../support/server";

// Keys that can do less than their user, through HTTP: every scope against
// every root field, operations that mix scopes, aliases and fragments, ADMIN
// on a user who lost staff, a key's own lifetime, and what issuing refuses.

const SCOPES: Scope[] = ["ACCOUNT", "STUDENTS_READ", "STUDENTS_WRITE", "ADMIN"];

// The contract's table (../shared/api-contract-scopes.graphql), written out
// here independently of the resolvers' declarations: a field declared with
// the wrong scope fails the matrix below. null: any key.
const CONTRACT: Record<string, Scope | null> = {
  "Query.me": "ACCOUNT",
  "Query.myTokens": "ACCOUNT",
  "Mutation.revokeAllTokens": "ACCOUNT",
  "Mutation.changePassword": "ACCOUNT",
  "Query.students": "STUDENTS_READ",
  "Query.student": "STUDENTS_READ",
  "Mutation.createStudent": "STUDENTS_WRITE",
  "Mutation.updateStudent": "STUDENTS_WRITE",
  "Mutation.patchStudent": "STUDENTS_WRITE",
  "Mutation.deleteStudent": "STUDENTS_WRITE",
  "Query.users": "ADMIN",
  "Query.user": "ADMIN",
  "Query.tokens": "ADMIN",
  "Query.allTokens": "ADMIN", // a staff-only addition
  "Query.authEvents": "ADMIN", // a staff-only addition: the audit trail
  "Mutation.createUser": "ADMIN",
  "Mutation.updateUser": "ADMIN",
  "Mutation.patchUser": "ADMIN",
  "Mutation.deleteUser": "ADMIN",
  "Mutation.createToken": "ADMIN",
  "Mutation.obtainToken": null,
  "Mutation.register": null,
  "Mutation.revokeToken": null, // without an id: log out
  "Mutation.revokeToken(id)": "ACCOUNT", // or ADMIN: see below
};
/** Scopes a key may have instead of the one a field needs. */
const ALSO: Record<string, Scope[]> = {
  "Query.students": ["STUDENTS_WRITE"],
  "Query.student": ["STUDENTS_WRITE"],
  "Mutation.revokeToken(id)": ["ADMIN"],
};

const allows = (field: string, scope: Scope) => {
  const needed = CONTRACT[field];
  return needed === null || needed === scope || (ALSO[field] ?? []).includes(scope);
};

/** A refusal of the whole operation for lacking scopes: 403, DRF's message, the missing scopes, no data. */
function expectScopeRefusal(res: GraphQLResponse<unknown>, requiredScopes: Scope[]) {
  const error = expectError(res, { ...NOT_STAFF, status: 403 });
  expect(error.extensions?.requiredScopes).toEqual(requiredScopes);
  expect(res.body).not.toHaveProperty("data");
}

let server: TestServer;
let boss: { id: number; token: string };
let plain: { id: number; token: string };
let serial = 0;

/** A fresh key of `user` with exactly these scopes (null: all the user may), issued the way the API issues them. */
async function keyOf(userId: number, scopes: Scope[] | null): Promise<string> {
  const issued = await server.app.services.tokens.issue(userId, "scoped", {
    terms: { scopes: scopes && scopes.map((s) => ScopeName[s]) },
  });
  return issued!.token;
}

beforeAll(async () => {
  // The matrix checks wrong passwords and signs up many times from one address.
  server = await startServer({ LOGIN_RATE: "10000/min", REGISTER_RATE: "10000/hour" });
  boss = await server.user("boss", { staff: true });
  plain = await server.user("plain");
  await server.app.services.students.create({ name: "Ada", roll: 1, city: "London" });
});
afterAll(() => server.close());

describe("every scope against every root field", () => {
  /** One request per root field, variants included; every answer past access is fine here. */
  const CALLS: Record<string, (key: string) => Promise<GraphQLResponse<unknown>>> = {
    "Query.me": (key) => server.run(WhoAmIDocument, {}, auth(key)),
    "Query.myTokens": (key) => server.run(MyTokensDocument, {}, auth(key)),
    "Query.tokens": (key) => server.run(TokensDocument, { userId: String(plain.id) }, auth(key)),
    "Query.allTokens": (key) => server.run(AllTokensDocument, {}, auth(key)),
    "Query.authEvents": (key) => server.run(AuthEventsDocument, {}, auth(key)),
    "Query.students": (key) => server.run(StudentsDocument, {}, auth(key)),
    "Query.student": (key) => server.run(StudentDocument, { id: "1" }, auth(key)),
    "Query.users": (key) => server.run(UsersDocument, {}, auth(key)),
    "Query.user": (key) => server.run(UserDocument, { id: String(plain.id) }, auth(key)),
    "Mutation.obtainToken": (key) =>
      server.run(ObtainTokenDocument, { username: "boss", password: "not the password" }, auth(key)),
    "Mutation.register": (key) =>
      server.run(
        RegisterDocument,
        { input: { username: `joiner${++serial}`, email: "", password: "maple-Syrup-77" } },
        auth(key),
      ),
    "Mutation.changePassword": (key) =>
      server.run(ChangePasswordDocument, { oldPassword: "not the password", newPassword: "x" }, auth(key)),
    "Mutation.revokeToken": (key) => server.run(RevokeTokenDocument, {}, auth(key)),
    "Mutation.revokeToken(id)": async (key) =>
      server.run(RevokeTokenDocument, { id: await idOf(await keyOf(boss.id, null)) }, auth(key)),
    "Mutation.revokeAllTokens": (key) => server.run(RevokeAllTokensDocument, {}, auth(key)),
    "Mutation.createStudent": (key) =>
      server.run(CreateStudentDocument, { input: { name: "M", roll: 1000 + ++serial, city: "C" } }, auth(key)),
    "Mutation.updateStudent": (key) =>
      server.run(UpdateStudentDocument, { id: "999999", input: { name: "M", roll: 9, city: "C" } }, auth(key)),
    "Mutation.patchStudent": (key) =>
      server.run(PatchStudentDocument, { id: "999999", input: { city: "C" } }, auth(key)),
    "Mutation.deleteStudent": (key) => server.run(DeleteStudentDocument, { id: "999999" }, auth(key)),
    "Mutation.createUser": (key) =>
      server.run(
        CreateUserDocument,
        { input: { username: `made${++serial}`, email: "", password: "maple-Syrup-77" } },
        auth(key),
      ),
    "Mutation.updateUser": (key) =>
      server.run(UpdateUserDocument, { id: "999999", input: { username: "x", email: "" } }, auth(key)),
    "Mutation.patchUser": (key) => server.run(PatchUserDocument, { id: "999999", input: { email: "" } }, auth(key)),
    "Mutation.deleteUser": (key) => server.run(DeleteUserDocument, { id: "999999" }, auth(key)),
    "Mutation.createToken": (key) => server.run(CreateTokenDocument, { userId: "999999" }, auth(key)),
  };

  /** The id of a key, from the database (by its prefix). */
  async function idOf(key: string): Promise<string> {
    const row = await findRow(server.app.db, "Token", { prefix: key.slice(0, 8) });
    return String(row.id);
  }

  /** The matrix's rows: every root field of the served schema, and revokeToken with an id too. */
  async function rootFields(): Promise<string[]> {
    const schema = await getSchema();
    const fields = [schema.getQueryType(), schema.getMutationType()]
      .filter(isObjectType)
      .flatMap((type) => Object.keys(type.getFields()).map((name) => `${type.name}.${name}`));
    return [...fields, "Mutation.revokeToken(id)"];
  }

  it("knows every root field: the contract's table and the requests cover the schema", async () => {
    const fields = await rootFields();
    expect(fields.filter((f) => !(f in CONTRACT))).toEqual([]);
    expect(fields.filter((f) => !(f in CALLS))).toEqual([]);
    expect(Object.keys(CONTRACT).filter((f) => !fields.includes(f))).toEqual([]);
  });

  it.each(SCOPES)("a key with only %s selects what its scope covers and is refused the rest", async (scope) => {
    const wrong: string[] = [];
    let allowed = 0;
    let refused = 0;
    for (const field of await rootFields()) {
      const res = await CALLS[field]!(await keyOf(boss.id, [scope]));
      const error = res.body.errors?.[0];
      if (allows(field, scope)) {
        allowed++;
        // Past access: data, or an error of the field itself (NOT_FOUND, BAD_USER_INPUT).
        if (res.status !== 200 || error?.extensions?.code === "FORBIDDEN") wrong.push(`${field}: refused`);
      } else {
        refused++;
        const needed = CONTRACT[field]!;
        const ok =
          res.status === 403 &&
          !("data" in res.body) &&
          res.body.errors?.length === 1 &&
          error?.extensions?.code === "FORBIDDEN" &&
          error.message === NOT_STAFF.message &&
          JSON.stringify(error.extensions.requiredScopes) === JSON.stringify([needed]);
        if (!ok) wrong.push(`${field}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(wrong).toEqual([]);
    // Each scope both opens and closes something.
    expect(allowed).toBeGreaterThan(3);
    expect(refused).toBeGreaterThan(3);
  });

  it("a key without scopes selects everything its user may, as a DRF key does", async () => {
    const wrong: string[] = [];
    for (const field of await rootFields()) {
      const res = await CALLS[field]!(await keyOf(boss.id, null));
      if (res.status !== 200) wrong.push(`${field}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("a key with every scope does the same as one without", async () => {
    const wrong: string[] = [];
    for (const field of await rootFields()) {
      const res = await CALLS[field]!(await keyOf(boss.id, SCOPES));
      if (res.status !== 200) wrong.push(`${field}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe("the whole operation is decided before it runs", () => {
  it("an operation that mixes scopes is refused whole, naming only the scope missing", async () => {
    const key = await keyOf(boss.id, ["STUDENTS_READ"]);
    expectScopeRefusal(await server.run(ScopedStudentsAndMyTokensDocument, {}, auth(key)), ["ACCOUNT"]);
    const both = await keyOf(boss.id, ["STUDENTS_READ", "ACCOUNT"]);
    const res = await server.run(ScopedStudentsAndMyTokensDocument, {}, auth(both));
    expect(res.status).toBe(200);
    expect(res.body.data?.students.count).toBeGreaterThanOrEqual(1);
  });

  it("a refused mutation writes nothing, not even its first field", async () => {
    const key = await keyOf(boss.id, ["STUDENTS_WRITE"]);
    const before = await countRows(server.app.db, "Student");
    const res = await server.run(
      ScopedCreateStudentAndRevokeAllDocument,
      { input: { name: "Never", roll: 4242, city: "Nowhere" } },
      auth(key),
    );
    expectScopeRefusal(res, ["ACCOUNT"]);
    expect(await countRows(server.app.db, "Student")).toBe(before);
    // The key was not revoked either: it still reads students.
    expect((await server.run(StudentsDocument, {}, auth(key))).status).toBe(200);
  });

  it("an alias cannot pass a field off as another", async () => {
    const key = await keyOf(boss.id, ["STUDENTS_READ"]);
    expectScopeRefusal(await server.run(ScopedAliasedMeDocument, {}, auth(key)), ["ACCOUNT"]);
  });

  it("named and inline fragments are followed", async () => {
    const key = await keyOf(boss.id, ["STUDENTS_READ"]);
    expectScopeRefusal(await server.run(ScopedFragmentMeDocument, {}, auth(key)), ["ACCOUNT"]);
  });

  it("@include decides with the operation's variables", async () => {
    const key = await keyOf(boss.id, ["STUDENTS_READ"]);
    expectScopeRefusal(await server.run(ScopedIncludeMeDocument, { withMe: true }, auth(key)), ["ACCOUNT"]);
    const res = await server.run(ScopedIncludeMeDocument, { withMe: false }, auth(key));
    expect(res.status).toBe(200);
    expect(res.body.data).not.toHaveProperty("me");
  });

  it("__typename needs no scope", async () => {
    const key = await keyOf(boss.id, ["STUDENTS_READ"]);
    const res = await server.run(ScopedTypenameDocument, {}, auth(key));
    expect(res.status).toBe(200);
    expect(res.body.data?.__typename).toBe("Query");
  });

  it("every key may log itself out; revoking by id needs ACCOUNT, whatever the id's variable holds", async () => {
    const key = await keyOf(plain.id, ["STUDENTS_READ"]);
    const other = await keyOf(plain.id, null);
    const otherId = String((await findRow(server.app.db, "Token", { prefix: other.slice(0, 8) })).id);
    // An id given through a variable counts: refused whole, the logout included.
    expectScopeRefusal(await server.run(ScopedLogoutAndRevokeDocument, { id: otherId }, auth(key)), ["ACCOUNT"]);
    expect((await server.run(WhoAmIDocument, {}, auth(other))).status).toBe(200);
    // The logout did not run either; alone, it does, and so does one with a null id.
    expect((await server.run(StudentsDocument, {}, auth(key))).status).toBe(200);
    expect((await server.run(RevokeTokenDocument, {}, auth(key))).body).toEqual({ data: { revokeToken: true } });
    expectError(await server.run(StudentsDocument, {}, auth(key)), {
      code: "UNAUTHENTICATED",
      message: "Invalid token.",
    });
    const another = await keyOf(plain.id, ["STUDENTS_READ"]);
    expect((await server.run(RevokeTokenDocument, { id: null }, auth(another))).body).toEqual({
      data: { revokeToken: true },
    });
  });
});

describe("ADMIN is staff work, and needs a staff user", () => {
  it("ADMIN on a key whose user lost staff is refused, and works again when staff is back", async () => {
    const { id } = await server.user("demoted", { staff: true });
    const key = await keyOf(id, ["ADMIN"]);
    expect((await server.run(UsersDocument, {}, auth(key))).status).toBe(200);
    await updateRows(server.app.db, "User", { id }, { isStaff: false });
    const res = await server.run(UsersDocument, {}, auth(key));
    expectError(res, { ...NOT_STAFF, status: 403 });
    expect(res.body).not.toHaveProperty("data");
    await updateRows(server.app.db, "User", { id }, { isStaff: true });
    expect((await server.run(UsersDocument, {}, auth(key))).status).toBe(200);
  });

  it("revoking someone else's key by id takes ADMIN: with ACCOUNT alone it looks missing", async () => {
    const victim = await keyOf(plain.id, null);
    const id = String((await findRow(server.app.db, "Token", { prefix: victim.slice(0, 8) })).id);
    const account = await keyOf(boss.id, ["ACCOUNT"]);
    expectError(await server.run(RevokeTokenDocument, { id }, auth(account)), {
      code: "NOT_FOUND",
      message: "Not found.",
    });
    expect((await server.run(StudentsDocument, {}, auth(victim))).status).toBe(200);
    const admin = await keyOf(boss.id, ["ADMIN"]);
    expect((await server.run(RevokeTokenDocument, { id }, auth(admin))).body).toEqual({ data: { revokeToken: true } });
    expect((await server.run(StudentsDocument, {}, auth(victim))).status).toBe(401);
  });
});

describe("issuing a key with scopes", () => {
  it("obtainToken keeps the scopes asked for, sorted and once each, and the key shows them", async () => {
    const res = await server.run(ObtainTokenDocument, {
      username: "plain",
      password: PASSWORD,
      scopes: ["STUDENTS_READ", "ACCOUNT", "STUDENTS_READ"],
    });
    expect(res.body.errors).toBeUndefined();
    const { token, scopes, expiresAt } = res.body.data!.obtainToken;
    expect(scopes).toEqual(["ACCOUNT", "STUDENTS_READ"]);
    expect(expiresAt).toBeNull();
    const row = await findRow(server.app.db, "Token", { prefix: token.slice(0, 8) });
    expect(row.scopes).toBe("ACCOUNT,STUDENTS_READ");
    const mine = (await server.run(MyTokensDocument, {}, auth(token))).body.data!.myTokens;
    expect(mine.find((t) => t.current)?.scopes).toEqual(["ACCOUNT", "STUDENTS_READ"]);
    expect(mine.find((t) => t.prefix === plain.token.slice(0, 8))?.scopes).toBeNull();
    // And so do the staff's lists.
    const admin = await keyOf(boss.id, ["ADMIN"]);
    const listed = (await server.run(TokensDocument, { userId: String(plain.id) }, auth(admin))).body.data!.tokens;
    expect(listed.find((t) => t.prefix === token.slice(0, 8))?.scopes).toEqual(["ACCOUNT", "STUDENTS_READ"]);
    const all = (await server.run(AllTokensDocument, { search: token.slice(0, 8) }, auth(admin))).body.data!.allTokens;
    expect(all.results.map((t) => [t.user.username, t.scopes])).toEqual([["plain", ["ACCOUNT", "STUDENTS_READ"]]]);
  });

  it("a key from obtainToken is not bound by the scopes of the key that asked: it is a new password check", async () => {
    const { id } = await server.user("scripted");
    const readOnly = await keyOf(id, ["STUDENTS_READ"]);
    expectScopeRefusal(
      await server.run(CreateStudentDocument, { input: { name: "N", roll: 5001, city: "C" } }, auth(readOnly)),
      ["STUDENTS_WRITE"],
    );
    const full = await server.run(ObtainTokenDocument, { username: "scripted", password: PASSWORD }, auth(readOnly));
    expect(full.body.data?.obtainToken.scopes).toBeNull();
    const created = await server.run(
      CreateStudentDocument,
      { input: { name: "N", roll: 5001, city: "C" } },
      auth(full.body.data!.obtainToken.token),
    );
    expect(created.body.data?.createStudent.roll).toBe(5001);
    // Nor does it stop one from asking for scopes the first key lacks.
    const account = await server.run(
      ObtainTokenDocument,
      { username: "scripted", password: PASSWORD, scopes: ["ACCOUNT"] },
      auth(readOnly),
    );
    expect(account.body.data?.obtainToken.scopes).toEqual(["ACCOUNT"]);
  });

  it("changePassword's fresh key keeps the scopes of the key it replaces", async () => {
    const { id } = await server.user("changer");
    const key = await keyOf(id, ["ACCOUNT"]);
    const res = await server.run(
      ChangePasswordDocument,
      { oldPassword: PASSWORD, newPassword: "granite-Lake-93" },
      auth(key),
    );
    expect(res.body.errors).toBeUndefined();
    const fresh = res.body.data!.changePassword.token;
    const row = await findRow(server.app.db, "Token", { prefix: fresh.slice(0, 8) });
    expect(row.scopes).toBe("ACCOUNT");
    expectScopeRefusal(await server.run(StudentsDocument, {}, auth(fresh)), ["STUDENTS_READ"]);
  });

  it("createToken issues scoped keys for staff", async () => {
    const admin = await keyOf(boss.id, ["ADMIN"]);
    const res = await server.run(
      CreateTokenDocument,
      { userId: String(plain.id), name: "dashboard", scopes: ["STUDENTS_READ"], expiresIn: "7d" },
      auth(admin),
    );
    expect(res.body.errors).toBeUndefined();
    const issued = res.body.data!.createToken;
    expect(issued.scopes).toEqual(["STUDENTS_READ"]);
    expect(Date.parse(issued.expiresAt!) - Date.now()).toBeGreaterThan(7 * 86400_000 - 60_000);
    expect(Date.parse(issued.expiresAt!) - Date.now()).toBeLessThanOrEqual(7 * 86400_000);
    expect((await server.run(StudentsDocument, {}, auth(issued.token))).status).toBe(200);
    expectScopeRefusal(await server.run(WhoAmIDocument, {}, auth(issued.token)), ["ACCOUNT"]);
  });

  it("createToken: an expiresIn that does not parse is BAD_USER_INPUT on expiresIn, and no key", async () => {
    const admin = await keyOf(boss.id, ["ADMIN"]);
    const before = await countRows(server.app.db, "Token", { userId: plain.id });
    for (const expiresIn of ["7 days", "0s", "-5m", "", "soon"]) {
      expectError(await server.run(CreateTokenDocument, { userId: String(plain.id), expiresIn }, auth(admin)), {
        code: "BAD_USER_INPUT",
        fields: { expiresIn: ["Enter a duration like 90s, 30m, 12h or 30d."] },
      });
    }
    expect(await countRows(server.app.db, "Token", { userId: plain.id })).toBe(before);
  });

  it("ADMIN for a user who is not staff: BAD_USER_INPUT on scopes, and no key", async () => {
    const admin = await keyOf(boss.id, null);
    const before = await countRows(server.app.db, "Token", { userId: plain.id });
    const refusal = {
      code: "BAD_USER_INPUT",
      fields: { scopes: ["Only a staff user's key may have the ADMIN scope."] },
    };
    expectError(
      await server.run(CreateTokenDocument, { userId: String(plain.id), scopes: ["ADMIN"] }, auth(admin)),
      refusal,
    );
    expectError(
      await server.run(ObtainTokenDocument, { username: "plain", password: PASSWORD, scopes: ["ADMIN", "ACCOUNT"] }),
      refusal,
    );
    expect(await countRows(server.app.db, "Token", { userId: plain.id })).toBe(before);
    // A wrong password gets the usual answer: the refusal tells nobody who is staff.
    expectError(
      await server.run(ObtainTokenDocument, { username: "plain", password: "not the password", scopes: ["ADMIN"] }),
      { code: "BAD_USER_INPUT", message: "Unable to log in with provided credentials." },
    );
    // Staff may hold it.
    const staff = await server.run(ObtainTokenDocument, { username: "boss", password: PASSWORD, scopes: ["ADMIN"] });
    expect(staff.body.data?.obtainToken.scopes).toEqual(["ADMIN"]);
  });

  it("an empty list is refused: a key with no scope could do nothing", async () => {
    expectError(await server.run(ObtainTokenDocument, { username: "plain", password: PASSWORD, scopes: [] }), {
      code: "BAD_USER_INPUT",
      fields: { scopes: ["Choose at least one scope, or leave scopes out for a key that may do all its user may."] },
    });
  });

  it("an unknown scope never reaches the server: GraphQL refuses it as the Scope enum's", async () => {
    const res = await server.runUnchecked(ObtainTokenDocument, {
      username: "plain",
      password: PASSWORD,
      scopes: ["EVERYTHING"],
    });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors?.[0]?.message).toMatch(
      /^Variable "\$scopes" got invalid value "EVERYTHING" at "scopes\[0\]"/,
    );
  });

  it("a stored name this version does not know grants nothing", async () => {
    const key = await keyOf(plain.id, ["STUDENTS_READ"]);
    await updateRows(
      server.app.db,
      "Token",
      { prefix: key.slice(0, 8) },
      { scopes: "ACCOUNT_EVERYTHING,STUDENTS_READ" },
    );
    expect((await server.run(StudentsDocument, {}, auth(key))).status).toBe(200);
    expectScopeRefusal(await server.run(WhoAmIDocument, {}, auth(key)), ["ACCOUNT"]);
  });
});

describe("a key's own lifetime", () => {
  let clock: Date;
  let timed: TestServer;
  beforeAll(async () => {
    clock = new Date("2026-12-05T10:00:00.000Z");
    timed = await startServer({ TOKEN_TTL: "1h", LOGIN_RATE: "1000/min" }, { now: () => clock });
    await timed.user("mortal");
  });
  afterAll(() => timed.close());

  const obtain = (expiresIn?: string) =>
    timed.run(ObtainTokenDocument, { username: "mortal", password: PASSWORD, expiresIn });

  it("expires on time, with DRF's message, while a key of TOKEN_TTL's lifetime goes on", async () => {
    const short = (await obtain("30m")).body.data!.obtainToken;
    const long = (await obtain()).body.data!.obtainToken;
    expect(short.expiresAt).toBe("2026-12-05T10:30:00.000Z");
    expect(long.expiresAt).toBe("2026-12-05T11:00:00.000Z");
    clock = new Date("2026-12-05T10:29:59.999Z");
    expect((await timed.run(WhoAmIDocument, {}, auth(short.token))).body.data).toEqual({ me: { username: "mortal" } });
    clock = new Date("2026-12-05T10:30:00.000Z");
    expectError(await timed.run(WhoAmIDocument, {}, auth(short.token)), {
      code: "UNAUTHENTICATED",
      message: "Token has expired.",
    });
    expect((await timed.run(WhoAmIDocument, {}, auth(long.token))).body.data).toEqual({ me: { username: "mortal" } });
    clock = new Date("2026-12-05T11:00:00.000Z");
    expectError(await timed.run(WhoAmIDocument, {}, auth(long.token)), {
      code: "UNAUTHENTICATED",
      message: "Token has expired.",
    });
  });

  it("is never longer than TOKEN_TTL, and is a duration as TOKEN_TTL writes it", async () => {
    expect((await obtain("1h")).body.data?.obtainToken.token).toMatch(/^[0-9a-f]{40}$/);
    for (const [expiresIn, message] of [
      ["61m", "Ensure this duration is no longer than TOKEN_TTL (1h)."],
      ["2d", "Ensure this duration is no longer than TOKEN_TTL (1h)."],
      ["7 days", "Enter a duration like 90s, 30m, 12h or 30d."],
      ["0s", "Enter a duration like 90s, 30m, 12h or 30d."],
      ["-5m", "Enter a duration like 90s, 30m, 12h or 30d."],
      ["", "Enter a duration like 90s, 30m, 12h or 30d."],
      ["9".repeat(100_000) + "d", "Enter a duration like 90s, 30m, 12h or 30d."],
    ] as const) {
      expectError(await obtain(expiresIn), { code: "BAD_USER_INPUT", fields: { expiresIn: [message] } });
    }
  });

  it("without TOKEN_TTL a key may have one, up to ten years", async () => {
    const forever = await startServer({}, { now: () => clock });
    try {
      await forever.user("keeper");
      const run = (expiresIn: string) =>
        forever.run(ObtainTokenDocument, { username: "keeper", password: PASSWORD, expiresIn });
      expect((await run("7d")).body.data?.obtainToken.expiresAt).toBe(
        new Date(clock.getTime() + 7 * 86400_000).toISOString(),
      );
      expectError(await run("3651d"), {
        code: "BAD_USER_INPUT",
        fields: { expiresIn: ["Ensure this duration is no longer than 3650d."] },
      });
    } finally {
      await forever.close();
    }
  });

  it("on the real clock too: a 5-second key is refused once its time is over", async () => {
    const real = await startServer({ LOGIN_RATE: "1000/min" });
    try {
      await real.user("brief");
      const issued = (await real.run(ObtainTokenDocument, { username: "brief", password: PASSWORD, expiresIn: "5s" }))
        .body.data!.obtainToken;
      const expiresAt = Date.parse(issued.expiresAt!);
      // Poll until it is refused (or the deadline passes); it must work until its
      // expiry. Long enough that a loaded machine still gets a request in first.
      const deadline = Date.now() + 20_000;
      let last: GraphQLResponse<unknown> | undefined;
      let workedAt = 0;
      while (Date.now() < deadline) {
        const sent = Date.now();
        last = await real.run(WhoAmIDocument, {}, auth(issued.token));
        if (last.status !== 200) break;
        workedAt = sent;
        await new Promise((r) => setTimeout(r, 50));
      }
      expectError(last!, { code: "UNAUTHENTICATED", message: "Token has expired." });
      expect(workedAt).toBeGreaterThan(0);
      expect(workedAt).toBeLessThan(expiresAt);
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    } finally {
      await real.close();
    }
  });
});
