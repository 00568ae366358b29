import { countRows, findRows } from "../support/rows";
import { NOT_AUTHENTICATED, NOT_FOUND, NOT_STAFF, expectError } from "../support/expect";
import {
  CreateUserDocument,
  DeleteUserDocument,
  MyTokensDocument,
  type NewUserInput,
  ObtainTokenDocument,
  PatchUserDocument,
  RegisterDocument,
  UpdateUserDocument,
  UserDocument,
  UsersDocument,
  WhoAmIDocument,
} from "../generated/graphql";
import { auth, startServer, type GraphQLResponse, type TestServer } from "../support/server";

// Users, staff only, with Django's rules for usernames, emails and passwords.

let server: TestServer;
let staff: Record<string, string>;
let plain: Record<string, string>;

const GOOD_PASSWORD = "violet-Harbour-42";

async function createUser(username: string, extra: Partial<NewUserInput> = {}) {
  const res = await server.run(
    CreateUserDocument,
    { input: { username, email: `${username}@example.com`, password: GOOD_PASSWORD, ...extra } },
    staff,
  );
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createUser;
}

beforeAll(async () => {
  server = await startServer();
  staff = auth((await server.user("boss", { staff: true })).token);
  plain = auth((await server.user("pleb")).token);
});
afterAll(() => server.close());

describe("access", () => {
  const ops: [string, (headers?: Record<string, string>) => Promise<GraphQLResponse<unknown>>][] = [
    ["users", (h) => server.run(UsersDocument, {}, h)],
    ["user", (h) => server.run(UserDocument, { id: "1" }, h)],
    [
      "createUser",
      (h) => server.run(CreateUserDocument, { input: { username: "x1", email: "", password: GOOD_PASSWORD } }, h),
    ],
    ["updateUser", (h) => server.run(UpdateUserDocument, { id: "1", input: { username: "x2", email: "" } }, h)],
    ["patchUser", (h) => server.run(PatchUserDocument, { id: "1", input: { email: "a@b.co" } }, h)],
    ["deleteUser", (h) => server.run(DeleteUserDocument, { id: "1" }, h)],
  ];

  it.each(ops)("%s: 403 for a user who is not staff, nothing changed", async (_n, send) => {
    const before = await findRows(server.app.db, "User");
    expectError(await send(plain), NOT_STAFF);
    expect(await findRows(server.app.db, "User")).toEqual(before);
  });

  it.each(ops)("%s: 401 without a key", async (_n, send) => {
    expectError(await send(), NOT_AUTHENTICATED);
  });
});

describe("users and user", () => {
  it("lists users in id order with a total, pages and searches username and email", async () => {
    await createUser("searchable_one", { email: "one@Lookup.example" });
    await createUser("searchable_two", { email: "two@elsewhere.example" });
    const res = await server.run(UsersDocument, { search: "SEARCHABLE" }, staff);
    expect(res.body.data!.users.count).toBe(2);
    expect(res.body.data!.users.results.map((u) => u.username)).toEqual(["searchable_one", "searchable_two"]);
    const byEmail = await server.run(UsersDocument, { search: "lookup" }, staff);
    expect(byEmail.body.data!.users.results.map((u) => u.username)).toEqual(["searchable_one"]);
    const page = await server.run(UsersDocument, { search: "searchable", limit: 1, offset: 1 }, staff);
    expect(page.body.data!.users).toMatchObject({ count: 2, results: [{ username: "searchable_two" }] });
    expectError(await server.run(UsersDocument, { limit: 101 }, staff), {
      code: "BAD_USER_INPUT",
      fields: { limit: ["Ensure this value is between 1 and 100."] },
    });
  });

  it("never exposes a password field", async () => {
    // Raw: the schema has no such field, so no typed document can ask for it.
    const res = await server.raw("{ users { results { password } } }", undefined, staff);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("gets one user, or null", async () => {
    const { user } = await createUser("gettable");
    expect((await server.run(UserDocument, { id: user.id }, staff)).body).toEqual({ data: { user } });
    for (const id of ["999999", "zz", "-3"])
      expect((await server.run(UserDocument, { id }, staff)).body).toEqual({ data: { user: null } });
  });
});

describe("createUser", () => {
  it("returns a working key with the user (DRF's post_save signal)", async () => {
    const { token, expiresAt, user } = await createUser("newbie");
    expect(token).toMatch(/^[0-9a-f]{40}$/);
    expect(expiresAt).toBeNull();
    expect(user).toMatchObject({
      username: "newbie",
      email: "newbie@example.com",
      isStaff: false,
      isActive: true,
      lastLogin: null,
    });
    expect((await server.run(WhoAmIDocument, {}, auth(token))).body.data).toEqual({ me: { username: "newbie" } });
    const tokens = await server.run(MyTokensDocument, {}, auth(token));
    expect(tokens.body.data!.myTokens.map((t) => t.name)).toEqual(["admin"]);
  });

  it("honours isStaff for a staff creator", async () => {
    const { token, user } = await createUser("deputy", { isStaff: true });
    expect(user.isStaff).toBe(true);
    expect((await server.run(UsersDocument, {}, auth(token))).status).toBe(200);
  });

  it("ignores isStaff in register", async () => {
    const res = await server.run(RegisterDocument, {
      input: { username: "sneaky", email: "", password: GOOD_PASSWORD, isStaff: true },
    });
    expect(res.body.data!.register.user.isStaff).toBe(false);
    expectError(await server.run(UsersDocument, {}, auth(res.body.data!.register.token)), NOT_STAFF);
  });

  it.each([
    ["", "This field may not be blank."],
    ["   ", "This field may not be blank."],
    ["a".repeat(151), "Ensure this field has no more than 150 characters."],
    ["with space", "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."],
    ["semi;colon", "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."],
    ["slash/", "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."],
  ])("refuses the username %j with Django's message", async (username, message) => {
    const res = await server.run(
      CreateUserDocument,
      { input: { username, email: "", password: GOOD_PASSWORD } },
      staff,
    );
    expectError(res, { code: "BAD_USER_INPUT", fields: { username: [message] } });
  });

  it("accepts Django's username characters: letters in any script, digits and @ . + - _, up to 150", async () => {
    for (const username of ["a.b+c-d_e@f", "Łukasz", "日本語", "9".repeat(150)]) {
      const res = await server.run(
        CreateUserDocument,
        { input: { username, email: "", password: GOOD_PASSWORD } },
        staff,
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.createUser.user.username).toBe(username);
    }
  });

  it("trims the username, as DRF's CharField does", async () => {
    const res = await server.run(
      CreateUserDocument,
      { input: { username: "  trimmed ", email: "", password: GOOD_PASSWORD } },
      staff,
    );
    expect(res.body.data?.createUser.user.username).toBe("trimmed");
  });

  it("refuses a duplicate username, also after Unicode normalisation", async () => {
    await createUser("taken");
    const res = await server.run(
      CreateUserDocument,
      { input: { username: "taken", email: "", password: GOOD_PASSWORD } },
      staff,
    );
    expectError(res, { code: "BAD_USER_INPUT", fields: { username: ["A user with that username already exists."] } });
    await createUser("ﬁx", { email: "" }); // the ligature normalises (NFKC) to "fix"
    const again = await server.run(
      CreateUserDocument,
      { input: { username: "fix", email: "", password: GOOD_PASSWORD } },
      staff,
    );
    expectError(again, { code: "BAD_USER_INPUT", fields: { username: ["A user with that username already exists."] } });
  });

  it("validates the email, allows it blank, and lower-cases its domain", async () => {
    for (const email of ["not-an-email", "a@", "@b.co", "a b@c.co"]) {
      const res = await server.run(
        CreateUserDocument,
        { input: { username: "mailer", email, password: GOOD_PASSWORD } },
        staff,
      );
      expectError(res, { code: "BAD_USER_INPUT", fields: { email: ["Enter a valid email address."] } });
    }
    const blank = await createUser("noemail", { email: "" });
    expect(blank.user.email).toBe("");
    const mixed = await createUser("mixedcase", { email: "Mixed.Case@EXAMPLE.Com" });
    expect(mixed.user.email).toBe("Mixed.Case@example.com");
  });

  it.each([
    ["Ab3-x", ["This password is too short. It must contain at least 8 characters."]],
    ["password", ["This password is too common."]],
    ["38472910573", ["This password is entirely numeric."]],
    ["rajeshwari99", ["The password is too similar to the username."]],
    [
      "12345",
      [
        "This password is too short. It must contain at least 8 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
      ],
    ],
  ])("refuses the password %j with Django's messages", async (password, messages) => {
    const before = await countRows(server.app.db, "User");
    const res = await server.run(CreateUserDocument, { input: { username: "rajeshwari", email: "", password } }, staff);
    expectError(res, { code: "BAD_USER_INPUT", fields: { password: messages } });
    expect(await countRows(server.app.db, "User")).toBe(before);
  });

  it("checks similarity to the email address too", async () => {
    const res = await server.run(
      CreateUserDocument,
      { input: { username: "zed", email: "marigold.finch@example.com", password: "marigoldfinch" } },
      staff,
    );
    expectError(res, {
      code: "BAD_USER_INPUT",
      fields: { password: ["The password is too similar to the email address."] },
    });
  });
});

describe("updateUser and patchUser", () => {
  it("replaces username and email (PUT)", async () => {
    const { user, token } = await createUser("putme");
    const res = await server.run(
      UpdateUserDocument,
      { id: user.id, input: { username: "putdone", email: "p@d.example" } },
      staff,
    );
    expect(res.body.data!.updateUser).toMatchObject({ id: user.id, username: "putdone", email: "p@d.example" });
    // A profile change leaves the keys alone.
    expect((await server.run(WhoAmIDocument, {}, auth(token))).body.data).toEqual({ me: { username: "putdone" } });
  });

  it("refuses a taken username on PUT and PATCH", async () => {
    await createUser("occupied");
    const { user } = await createUser("mover");
    expectError(
      await server.run(UpdateUserDocument, { id: user.id, input: { username: "occupied", email: "" } }, staff),
      {
        code: "BAD_USER_INPUT",
        fields: { username: ["A user with that username already exists."] },
      },
    );
    expectError(await server.run(PatchUserDocument, { id: user.id, input: { username: "occupied" } }, staff), {
      code: "BAD_USER_INPUT",
      fields: { username: ["A user with that username already exists."] },
    });
  });

  it("patches only the fields given; explicit null is a field error", async () => {
    const { user } = await createUser("patchme");
    const res = await server.run(PatchUserDocument, { id: user.id, input: { email: "new@mail.example" } }, staff);
    expect(res.body.data!.patchUser).toMatchObject({ username: "patchme", email: "new@mail.example", isStaff: false });
    expectError(
      await server.run(PatchUserDocument, { id: user.id, input: { username: null, isActive: null } }, staff),
      {
        code: "BAD_USER_INPUT",
        fields: { username: ["This field may not be null."], isActive: ["This field may not be null."] },
      },
    );
  });

  it("changes a password under the rules and revokes every key of that user", async () => {
    const { user, token } = await createUser("rotate");
    expectError(await server.run(PatchUserDocument, { id: user.id, input: { password: "Zq9-x" } }, staff), {
      code: "BAD_USER_INPUT",
      fields: { password: ["This password is too short. It must contain at least 8 characters."] },
    });
    expectError(
      await server.run(
        PatchUserDocument,
        { id: user.id, input: { username: "glowworm77", password: "glowworm77!" } },
        staff,
      ),
      {
        code: "BAD_USER_INPUT",
        fields: { password: ["The password is too similar to the username."] },
      },
    );
    // The failed patches changed nothing.
    expect((await server.run(WhoAmIDocument, {}, auth(token))).body.data).toEqual({ me: { username: "rotate" } });

    const res = await server.run(PatchUserDocument, { id: user.id, input: { password: "a-Brand-new-one-9" } }, staff);
    expect(res.body.data!.patchUser.username).toBe("rotate");
    expectError(await server.run(WhoAmIDocument, {}, auth(token)), {
      code: "UNAUTHENTICATED",
      message: "Invalid token.",
    });
    const login = await server.run(ObtainTokenDocument, { username: "rotate", password: "a-Brand-new-one-9" });
    expect(login.body.data!.obtainToken.token).toMatch(/^[0-9a-f]{40}$/);
  });

  it("isActive=false makes the user's keys fail, and true restores them", async () => {
    const { user, token } = await createUser("sleeper");
    await server.run(PatchUserDocument, { id: user.id, input: { isActive: false } }, staff);
    expectError(await server.run(WhoAmIDocument, {}, auth(token)), {
      code: "UNAUTHENTICATED",
      message: "User inactive or deleted.",
    });
    await server.run(PatchUserDocument, { id: user.id, input: { isActive: true } }, staff);
    expect((await server.run(WhoAmIDocument, {}, auth(token))).body.data).toEqual({ me: { username: "sleeper" } });
  });

  it("isStaff can be granted and taken away", async () => {
    const { user, token } = await createUser("promoted");
    await server.run(PatchUserDocument, { id: user.id, input: { isStaff: true } }, staff);
    expect((await server.run(UsersDocument, {}, auth(token))).status).toBe(200);
    await server.run(PatchUserDocument, { id: user.id, input: { isStaff: false } }, staff);
    expectError(await server.run(UsersDocument, {}, auth(token)), NOT_STAFF);
  });

  it("answers NOT_FOUND for a missing user", async () => {
    expectError(
      await server.run(UpdateUserDocument, { id: "999999", input: { username: "ghost", email: "" } }, staff),
      NOT_FOUND,
    );
    expectError(await server.run(PatchUserDocument, { id: "999999", input: { email: "" } }, staff), NOT_FOUND);
    expectError(
      await server.run(PatchUserDocument, { id: "999999", input: { password: GOOD_PASSWORD } }, staff),
      NOT_FOUND,
    );
    expectError(await server.run(PatchUserDocument, { id: "nope", input: { email: "" } }, staff), NOT_FOUND);
  });
});

describe("deleteUser", () => {
  it("deletes the user and their tokens", async () => {
    const { user, token } = await createUser("doomed");
    expect((await server.run(DeleteUserDocument, { id: user.id }, staff)).body).toEqual({ data: { deleteUser: true } });
    expect(await countRows(server.app.db, "Token", { userId: Number(user.id) })).toBe(0);
    expectError(await server.run(WhoAmIDocument, {}, auth(token)), {
      code: "UNAUTHENTICATED",
      message: "Invalid token.",
    });
    expect((await server.run(UserDocument, { id: user.id }, staff)).body.data).toEqual({ user: null });
    expectError(await server.run(DeleteUserDocument, { id: user.id }, staff), NOT_FOUND);
  });
});
