import { countRows, findRow, findRows, updateRows } from "../support/rows";
import { createHash } from "node:crypto";
import { NOT_AUTHENTICATED, NOT_FOUND, NOT_STAFF, expectError } from "../support/expect";
import {
  ChangePasswordDocument,
  CreateTokenDocument,
  MyTokensDocument,
  ObtainTokenDocument,
  RegisterDocument,
  RevokeAllTokensDocument,
  RevokeTokenDocument,
  TokensDocument,
  WhoAmIDocument,
} from "../generated/graphql";
import { PASSWORD, auth, startServer, type TestServer } from "../support/server";

// Every way to get a key and every step of its life, through HTTP.

let server: TestServer;

async function login(s: TestServer, username: string, password = PASSWORD, name?: string) {
  const res = await s.run(ObtainTokenDocument, { username, password, name });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.obtainToken;
}

async function me(s: TestServer, token: string) {
  return s.run(WhoAmIDocument, {}, auth(token));
}

beforeAll(async () => {
  // Failed logins below would otherwise spend the per-address budget (5/min) of 127.0.0.1.
  server = await startServer({ LOGIN_RATE: "1000/min" });
});
afterAll(() => server.close());

describe("obtainToken", () => {
  it("issues a 40-hex key with the user, and records lastLogin", async () => {
    const { id } = await server.user("amit");
    const before = Date.now();
    const payload = await login(server, "amit");
    expect(payload.token).toMatch(/^[0-9a-f]{40}$/);
    expect(payload.expiresAt).toBeNull();
    expect(payload.user).toMatchObject({ id: String(id), username: "amit", isStaff: false });
    const lastLogin = Date.parse(payload.user.lastLogin!);
    expect(lastLogin).toBeGreaterThanOrEqual(before - 1000);
    const row = await findRow(server.app.db, "User", { id });
    expect(row.lastLogin?.toISOString()).toBe(payload.user.lastLogin);
    expect((await me(server, payload.token)).body.data).toEqual({ me: { username: "amit" } });
  });

  it("issues a new key each time, named 'login' unless a name is given", async () => {
    const { token } = await server.user("multi");
    const a = await login(server, "multi");
    const b = await login(server, "multi", PASSWORD, "laptop");
    expect(a.token).not.toBe(b.token);
    const list = await server.run(MyTokensDocument, {}, auth(token));
    expect(list.body.data!.myTokens.map((t) => t.name)).toEqual(["test", "login", "laptop"]);
  });

  it("answers a wrong password and an unknown user identically", async () => {
    await server.user("victim");
    const wrong = await server.run(ObtainTokenDocument, { username: "victim", password: "not the password" });
    const unknown = await server.run(ObtainTokenDocument, { username: "nobody-at-all", password: "not the password" });
    const expected = {
      code: "BAD_USER_INPUT",
      message: "Unable to log in with provided credentials.",
      fields: { non_field_errors: ["Unable to log in with provided credentials."] },
    };
    const e1 = expectError(wrong, expected);
    const e2 = expectError(unknown, expected);
    expect({ ...e1.extensions, stacktrace: undefined }).toEqual({ ...e2.extensions, stacktrace: undefined });
    expect(wrong.body.data).toBeNull();
  });

  it("refuses an inactive user with the same message", async () => {
    const { id } = await server.user("dormant");
    await updateRows(server.app.db, "User", { id }, { isActive: false });
    expectError(await server.run(ObtainTokenDocument, { username: "dormant", password: PASSWORD }), {
      code: "BAD_USER_INPUT",
      message: "Unable to log in with provided credentials.",
    });
  });

  it("is case-sensitive on the username, as Django is", async () => {
    await server.user("CaseSensitive");
    expectError(await server.run(ObtainTokenDocument, { username: "casesensitive", password: PASSWORD }), {
      code: "BAD_USER_INPUT",
      message: "Unable to log in with provided credentials.",
    });
  });
});

describe("register", () => {
  it("creates a user with a working key named 'signup'", async () => {
    const res = await server.run(RegisterDocument, {
      input: { username: "joiner", email: "joiner@example.com", password: "maple-Syrup-77" },
    });
    const { token, user } = res.body.data!.register;
    expect(token).toMatch(/^[0-9a-f]{40}$/);
    expect(user).toMatchObject({ username: "joiner", isStaff: false });
    const tokens = await server.run(MyTokensDocument, {}, auth(token));
    expect(tokens.body.data!.myTokens.map((t) => [t.name, t.current])).toEqual([["signup", true]]);
    expect((await login(server, "joiner", "maple-Syrup-77")).token).toMatch(/^[0-9a-f]{40}$/);
  });

  it("is FORBIDDEN when ALLOW_REGISTRATION=false, and creates nobody", async () => {
    const closed = await startServer({ ALLOW_REGISTRATION: "false" });
    try {
      const res = await closed.run(RegisterDocument, {
        input: { username: "latecomer", email: "", password: "maple-Syrup-77" },
      });
      expectError(res, { code: "FORBIDDEN" });
      expect(await countRows(closed.app.db, "User", { username: "latecomer" })).toBe(0);
    } finally {
      await closed.close();
    }
  });
});

describe("me and myTokens", () => {
  it("me is the user of the key, null when anonymous", async () => {
    const { token } = await server.user("whoami");
    expect((await me(server, token)).body.data).toEqual({ me: { username: "whoami" } });
    expect((await server.run(WhoAmIDocument)).body.data).toEqual({ me: null });
  });

  it("lists the user's tokens only, marking the current one", async () => {
    const { token: first } = await server.user("lister");
    await server.user("other-lister");
    const second = (await login(server, "lister")).token;
    const res = await server.run(MyTokensDocument, {}, auth(second));
    const tokens = res.body.data!.myTokens;
    expect(tokens).toHaveLength(2);
    expect(tokens.map((t) => t.prefix)).toEqual([first.slice(0, 8), second.slice(0, 8)]);
    expect(tokens.map((t) => t.current)).toEqual([false, true]);
    expect(JSON.stringify(res.body)).not.toContain(second);
  });

  it("needs a user", async () => {
    expectError(await server.run(MyTokensDocument), NOT_AUTHENTICATED);
  });
});

describe("revokeToken and revokeAllTokens", () => {
  it("without an id revokes the key of this request (log out)", async () => {
    const { token } = await server.user("leaver");
    const other = (await login(server, "leaver")).token;
    expect((await server.run(RevokeTokenDocument, {}, auth(token))).body.data).toEqual({ revokeToken: true });
    expectError(await me(server, token), { code: "UNAUTHENTICATED", message: "Invalid token." });
    expect((await me(server, other)).body.data).toEqual({ me: { username: "leaver" } });
  });

  it("revokes one of the user's own tokens by id", async () => {
    const { token } = await server.user("pruner");
    const spare = (await login(server, "pruner")).token;
    const list = await server.run(MyTokensDocument, {}, auth(token));
    const spareId = list.body.data!.myTokens.find((t) => !t.current)!.id;
    expect((await server.run(RevokeTokenDocument, { id: spareId }, auth(token))).body.data).toEqual({
      revokeToken: true,
    });
    expectError(await me(server, spare), { code: "UNAUTHENTICATED", message: "Invalid token." });
    expectError(await server.run(RevokeTokenDocument, { id: spareId }, auth(token)), NOT_FOUND);
    expectError(await server.run(RevokeTokenDocument, { id: "garbage" }, auth(token)), NOT_FOUND);
  });

  it("answers NOT_FOUND for someone else's token, unless staff", async () => {
    const { token: mine } = await server.user("nosy");
    const { token: theirs } = await server.user("target");
    const { token: admin } = await server.user("revoker", { staff: true });
    const targetList = await server.run(MyTokensDocument, {}, auth(theirs));
    const id = targetList.body.data!.myTokens[0]!.id;
    expectError(await server.run(RevokeTokenDocument, { id }, auth(mine)), NOT_FOUND);
    expect((await me(server, theirs)).body.data).toEqual({ me: { username: "target" } });
    expect((await server.run(RevokeTokenDocument, { id }, auth(admin))).body.data).toEqual({ revokeToken: true });
    expectError(await me(server, theirs), { code: "UNAUTHENTICATED", message: "Invalid token." });
  });

  it("revokeAllTokens revokes every key of the user and counts them", async () => {
    const { token } = await server.user("purger");
    const { token: bystander } = await server.user("bystander");
    const others = [(await login(server, "purger")).token, (await login(server, "purger")).token];
    expect((await server.run(RevokeAllTokensDocument, {}, auth(token))).body.data).toEqual({ revokeAllTokens: 3 });
    for (const key of [token, ...others])
      expectError(await me(server, key), { code: "UNAUTHENTICATED", message: "Invalid token." });
    expect((await me(server, bystander)).body.data).toEqual({ me: { username: "bystander" } });
  });

  it("needs a user", async () => {
    expectError(await server.run(RevokeTokenDocument, {}), NOT_AUTHENTICATED);
    expectError(await server.run(RevokeAllTokensDocument), NOT_AUTHENTICATED);
  });
});

describe("changePassword", () => {
  it("refuses a wrong old password as a field error and changes nothing", async () => {
    const { token } = await server.user("forgetful");
    expectError(
      await server.run(
        ChangePasswordDocument,
        { oldPassword: "wrong one", newPassword: "fresh-Pine-cone-8" },
        auth(token),
      ),
      {
        code: "BAD_USER_INPUT",
        fields: { oldPassword: ["Your old password was entered incorrectly. Please enter it again."] },
      },
    );
    expect((await me(server, token)).body.data).toEqual({ me: { username: "forgetful" } });
  });

  it("applies the password rules to the new password", async () => {
    const { token } = await server.user("ruled");
    expectError(
      await server.run(ChangePasswordDocument, { oldPassword: PASSWORD, newPassword: "12345678" }, auth(token)),
      {
        code: "BAD_USER_INPUT",
        fields: { newPassword: ["This password is too common.", "This password is entirely numeric."] },
      },
    );
  });

  it("revokes every old key and returns a fresh one", async () => {
    const { token } = await server.user("changer");
    const other = (await login(server, "changer")).token;
    const res = await server.run(
      ChangePasswordDocument,
      { oldPassword: PASSWORD, newPassword: "fresh-Pine-cone-8" },
      auth(token),
    );
    const fresh = res.body.data!.changePassword;
    expect(fresh.user.username).toBe("changer");
    expect(fresh.token).toMatch(/^[0-9a-f]{40}$/);
    expect((await me(server, fresh.token)).body.data).toEqual({ me: { username: "changer" } });
    for (const key of [token, other])
      expectError(await me(server, key), { code: "UNAUTHENTICATED", message: "Invalid token." });
    expectError(await server.run(ObtainTokenDocument, { username: "changer", password: PASSWORD }), {
      code: "BAD_USER_INPUT",
    });
    await login(server, "changer", "fresh-Pine-cone-8");
  });
});

describe("createToken and tokens (staff)", () => {
  it("issues a named key for any user, listed in the staff view", async () => {
    const { token: admin } = await server.user("issuer", { staff: true });
    const { id } = await server.user("recipient");
    const res = await server.run(CreateTokenDocument, { userId: String(id), name: "ci-runner" }, auth(admin));
    const issued = res.body.data!.createToken;
    expect(issued.user.username).toBe("recipient");
    expect((await me(server, issued.token)).body.data).toEqual({ me: { username: "recipient" } });
    const unnamed = await server.run(CreateTokenDocument, { userId: String(id) }, auth(admin));

    const list = await server.run(TokensDocument, { userId: String(id) }, auth(admin));
    expect(list.body.data!.tokens).toEqual([
      expect.objectContaining({ name: "test", current: false }),
      expect.objectContaining({ name: "ci-runner", prefix: issued.token.slice(0, 8), current: false }),
      expect.objectContaining({
        name: "admin",
        prefix: unnamed.body.data!.createToken.token.slice(0, 8),
        current: false,
      }),
    ]);
  });

  it("answers NOT_FOUND for a missing user", async () => {
    const { token: admin } = await server.user("issuer2", { staff: true });
    expectError(await server.run(CreateTokenDocument, { userId: "999999" }, auth(admin)), NOT_FOUND);
    expectError(await server.run(TokensDocument, { userId: "999999" }, auth(admin)), NOT_FOUND);
    expectError(await server.run(TokensDocument, { userId: "x" }, auth(admin)), NOT_FOUND);
  });

  it("is staff only", async () => {
    const { id, token } = await server.user("wannabe");
    expectError(await server.run(CreateTokenDocument, { userId: String(id) }, auth(token)), NOT_STAFF);
    expectError(await server.run(TokensDocument, { userId: String(id) }, auth(token)), NOT_STAFF);
    expectError(await server.run(CreateTokenDocument, { userId: String(id) }), NOT_AUTHENTICATED);
    expect(await countRows(server.app.db, "Token", { userId: id })).toBe(1);
  });
});

describe("lastUsedAt", () => {
  it("is written on first use and then at most once a minute", async () => {
    const { id, token } = await server.user("tracked");
    const row = () => findRow(server.app.db, "Token", { userId: id });
    expect((await row()).lastUsedAt).toBeNull();
    await me(server, token);
    // The request does not wait for the write: wait for it here (on PostgreSQL
    // a second request could otherwise still see null and write again).
    await server.app.services.tokens.settle();
    const first = (await row()).lastUsedAt;
    expect(first).not.toBeNull();
    await me(server, token);
    await me(server, token);
    await server.app.services.tokens.settle();
    expect((await row()).lastUsedAt).toEqual(first);

    // A minute later (moved back rather than waited for) it is written again.
    const old = new Date(Date.now() - 61_000);
    await updateRows(server.app.db, "Token", { userId: id }, { lastUsedAt: old });
    await me(server, token);
    await server.app.services.tokens.settle();
    expect((await row()).lastUsedAt!.getTime()).toBeGreaterThan(old.getTime() + 30_000);
  });

  it("is shown in myTokens", async () => {
    const { token } = await server.user("shown");
    await me(server, token);
    await server.app.services.tokens.settle(); // the request does not wait for the write
    const res = await server.run(MyTokensDocument, {}, auth(token));
    expect(res.body.data!.myTokens[0]!.lastUsedAt).not.toBeNull();
  });
});

describe("TOKEN_TTL", () => {
  let ttl: TestServer;
  beforeAll(async () => {
    ttl = await startServer({ TOKEN_TTL: "90s" });
  });
  afterAll(() => ttl.close());

  it("gives every key an expiry about 90 s ahead", async () => {
    const { id, token: first } = await ttl.user("mortal");
    const before = Date.now();
    const payload = await login(ttl, "mortal");
    const after = Date.now();
    const expires = Date.parse(payload.expiresAt!);
    expect(expires).toBeGreaterThanOrEqual(before + 89_000);
    expect(expires).toBeLessThanOrEqual(after + 91_000);
    const rows = await findRows(ttl.app.db, "Token", { userId: id });
    expect(rows.every((r) => r.expiresAt !== null)).toBe(true);
    const list = await ttl.run(MyTokensDocument, {}, auth(first));
    expect(list.body.data!.myTokens[1]!.expiresAt).toBe(payload.expiresAt);
    const reg = await ttl.run(RegisterDocument, {
      input: { username: "mortal2", email: "", password: "maple-Syrup-77" },
    });
    expect(Date.parse(reg.body.data!.register.expiresAt!) - Date.now()).toBeGreaterThan(80_000);
  });

  it("rejects an expired key with DRF-style 401", async () => {
    const { id, token } = await ttl.user("expiring");
    expect((await me(ttl, token)).body.data).toEqual({ me: { username: "expiring" } });
    await updateRows(ttl.app.db, "Token", { userId: id }, { expiresAt: new Date(Date.now() - 1) });
    expectError(await me(ttl, token), { code: "UNAUTHENTICATED", message: "Token has expired." });
  });
});

describe("LOGIN_RATE", () => {
  it("throttles the third failure at 2/min with 429 and Retry-After", async () => {
    const limited = await startServer({ LOGIN_RATE: "2/min" });
    try {
      await limited.user("bruteforced");
      for (let i = 0; i < 2; i++) {
        expectError(await limited.run(ObtainTokenDocument, { username: "bruteforced", password: `guess ${i}` }), {
          code: "BAD_USER_INPUT",
          message: "Unable to log in with provided credentials.",
        });
      }
      const res = await limited.run(ObtainTokenDocument, { username: "bruteforced", password: "guess 3" });
      const error = expectError(res, { code: "TOO_MANY_REQUESTS", status: 429 });
      const retryAfter = Number(res.headers.get("retry-after"));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(error.message).toBe(`Request was throttled. Expected available in ${retryAfter} seconds.`);
      // Even the right password waits now: the throttle is checked first.
      expectError(await limited.run(ObtainTokenDocument, { username: "bruteforced", password: PASSWORD }), {
        code: "TOO_MANY_REQUESTS",
      });
    } finally {
      await limited.close();
    }
  });
});

describe("storage of keys", () => {
  it("keeps the SHA-256 digest and the 8-character prefix, never the key", async () => {
    const { id, token } = await server.user("stored");
    const row = await findRow(server.app.db, "Token", { userId: id });
    expect(row.digest).toBe(createHash("sha256").update(token).digest("hex"));
    expect(row.prefix).toBe(token.slice(0, 8));
    expect(JSON.stringify(row)).not.toContain(token);
  });
});
