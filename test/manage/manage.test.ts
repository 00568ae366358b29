import { countKeysOf, countRows, findRow } from "../support/rows";
import { emptyPostgresUrl, freshDatabaseUrl, freshSqliteUrl, testDatabase } from "../support/databases";
import { ensureBuilt, runNode } from "../support/build";
import { expectError } from "../support/expect";
import { CreateStudentDocument, ObtainTokenDocument, ViewerDocument } from "../generated/graphql";
import { PASSWORD, auth, startServer, type TestServer } from "../support/server";

// The manage command as a user runs it: a subprocess of the built program, on
// the same database as a live server that checks what it did.

let server: TestServer;
let env: Record<string, string>;

const manage = (args: string[], opts: { env?: Record<string, string>; input?: string } = {}) =>
  runNode("dist/manage/manage.js", args, {
    env: { ...env, ...opts.env },
    input: opts.input,
    timeoutMs: 20_000,
  });

const me = (token: string) => server.run(ViewerDocument, {}, auth(token));
const INVALID = { code: "UNAUTHENTICATED", message: "Invalid token." };
const KEY_LINE = (username: string) => new RegExp(`^Generated token ([0-9a-f]{40}) for user ${username}\\n$`);

beforeAll(async () => {
  await ensureBuilt();
  const url = await freshDatabaseUrl();
  env = { DATABASE_URL: url };
  server = await startServer({ DATABASE_URL: url });
}, 120_000);
afterAll(() => server.close());

describe("create-token", () => {
  it("prints exactly DRF's line, and the key works against the server", async () => {
    const { token: first } = await server.user("amit");
    const res = await manage(["create-token", "amit"]);
    expect(res).toMatchObject({ code: 0, stderr: "" });
    expect(res.stdout).toMatch(KEY_LINE("amit"));
    const key = KEY_LINE("amit").exec(res.stdout)![1]!;
    expect((await me(key)).body.data).toMatchObject({ me: { username: "amit", isStaff: false } });
    // Without --reset the other keys stay.
    expect((await me(first)).body.data?.me?.username).toBe("amit");
    const row = await findRow(server.app.db, "Token", { prefix: key.slice(0, 8) });
    expect(row.name).toBe("cli");
  });

  it("--reset (and -r, DRF's flag) revokes the user's other keys", async () => {
    const { token: old } = await server.user("resetter");
    const res = await manage(["create-token", "resetter", "--reset"]);
    const key = KEY_LINE("resetter").exec(res.stdout)![1]!;
    expectError(await me(old), INVALID);
    expect((await me(key)).body.data?.me?.username).toBe("resetter");
    const again = await manage(["drf_create_token", "-r", "resetter"]);
    expect(again.code).toBe(0);
    expectError(await me(key), INVALID);
    expect(await countKeysOf(server.app.db, "resetter")).toBe(1);
  });

  it("--name labels the key", async () => {
    const { id } = await server.user("labeller");
    const res = await manage(["create-token", "labeller", "--name", "deploy bot"]);
    const key = KEY_LINE("labeller").exec(res.stdout)![1]!;
    const row = await findRow(server.app.db, "Token", { userId: id, prefix: key.slice(0, 8) });
    expect(row.name).toBe("deploy bot");
  });

  it("--scope (repeated, or with commas, any case) and --expires give the key its scopes and lifetime", async () => {
    const { id } = await server.user("scoped-cli");
    const before = Date.now();
    const res = await manage([
      "create-token",
      "scoped-cli",
      "--scope",
      "STUDENTS_READ",
      "--scope",
      "account,STUDENTS_READ",
      "--expires",
      "30d",
    ]);
    expect(res).toMatchObject({ code: 0, stderr: "" });
    expect(res.stdout).toMatch(KEY_LINE("scoped-cli"));
    const key = KEY_LINE("scoped-cli").exec(res.stdout)![1]!;
    const row = await findRow(server.app.db, "Token", { userId: id, prefix: key.slice(0, 8) });
    expect(row.scopes).toBe("ACCOUNT,STUDENTS_READ");
    expect(row.expiresAt!.getTime() - before).toBeGreaterThanOrEqual(30 * 86400_000);
    expect(row.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(30 * 86400_000);
    expect((await me(key)).body.data?.me?.username).toBe("scoped-cli");
    const write = await server.run(CreateStudentDocument, { input: { name: "N", roll: 77, city: "C" } }, auth(key));
    expect(expectError(write, { code: "FORBIDDEN" }).extensions?.requiredScopes).toEqual(["STUDENTS_WRITE"]);
  });

  it.each([
    [
      ["--scope", "EVERYTHING"],
      'Error: --scope: "EVERYTHING" is not a scope: choose from ACCOUNT, STUDENTS_READ, STUDENTS_WRITE, ADMIN.',
    ],
    [["--scope", "ADMIN"], "Error: --scope: Only a staff user's key may have the ADMIN scope."],
    [["--expires", "a week"], "Error: --expires: Enter a duration like 90s, 30m, 12h or 30d."],
    [["--expires", "3651d"], "Error: --expires: Ensure this duration is no longer than 3650d."],
  ])("create-token %j: exit 1, one line, no key", async (flags, line) => {
    const { id } = await server.user(`refused-${flags.join("").replace(/\W/g, "")}`);
    const before = await countRows(server.app.db, "Token", { userId: id });
    const user = (await findRow(server.app.db, "User", { id })).username;
    expect(await manage(["create-token", user, ...flags])).toEqual({ code: 1, stdout: "", stderr: `${line}\n` });
    expect(await countRows(server.app.db, "Token", { userId: id })).toBe(before);
  });

  it("--expires longer than TOKEN_TTL is refused, naming it", async () => {
    await server.user("ttl-cli");
    expect(await manage(["create-token", "ttl-cli", "--expires", "2h"], { env: { TOKEN_TTL: "1h" } })).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: --expires: Ensure this duration is no longer than TOKEN_TTL (1h).\n",
    });
  });

  it("an unknown user: exit 1, DRF's line, nothing changed", async () => {
    const before = await countRows(server.app.db, "Token");
    const res = await manage(["create-token", "ghost"]);
    expect(res).toEqual({ code: 1, stdout: "", stderr: "Cannot create the Token: user ghost does not exist\n" });
    expect(await countRows(server.app.db, "Token")).toBe(before);
    expect(await countRows(server.app.db, "User", { username: "ghost" })).toBe(0);
  });
});

describe("revoke-tokens", () => {
  it("revokes every key of the user and says how many", async () => {
    const { token } = await server.user("revokee");
    const second = KEY_LINE("revokee").exec((await manage(["create-token", "revokee"])).stdout)![1]!;
    const { token: bystander } = await server.user("untouched");
    const res = await manage(["revoke-tokens", "revokee"]);
    expect(res).toEqual({ code: 0, stdout: "Revoked 2 tokens for user revokee\n", stderr: "" });
    expectError(await me(token), INVALID);
    expectError(await me(second), INVALID);
    expect((await me(bystander)).body.data?.me?.username).toBe("untouched");
  });

  it("an unknown user: exit 1 and one line", async () => {
    expect(await manage(["revoke-tokens", "ghost"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "User ghost does not exist\n",
    });
  });
});

describe("changepassword", () => {
  const login = (username: string, password: string) => server.run(ObtainTokenDocument, { username, password });

  it("reads the password twice from stdin, sets it, and revokes the user's keys", async () => {
    const { token } = await server.user("piped");
    const res = await manage(["changepassword", "piped"], { input: "granite-Lake-93\ngranite-Lake-93\n" });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("Changing password for user 'piped'");
    expect(res.stdout).toContain("Password changed successfully for user 'piped'");
    expect(res.stdout).not.toContain("granite-Lake-93");
    expectError(await me(token), INVALID);
    expect((await login("piped", "granite-Lake-93")).body.data?.obtainToken.token).toMatch(/^[0-9a-f]{40}$/);
  });

  it("asks again after a mismatch or a rule failure", async () => {
    const { token } = await server.user("retrier");
    const res = await manage(["changepassword", "retrier"], {
      input: "one-Thing-11\nanother-22\n12345678\n12345678\ncobalt-Fern-55\ncobalt-Fern-55\n",
    });
    expect(res.code).toBe(0);
    // Django writes the validators' messages one per line, without "Error:".
    expect(res.stderr).toBe(
      "Error: Your passwords didn't match.\nThis password is too common.\nThis password is entirely numeric.\n",
    );
    expectError(await me(token), INVALID);
    expect((await login("retrier", "cobalt-Fern-55")).body.errors).toBeUndefined();
  });

  it("gives up when the input ends, changing nothing", async () => {
    const { token } = await server.user("quitter");
    const res = await manage(["changepassword", "quitter"], { input: "a-b-c-d-e-1\nx-y-z-1\n" });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split("\n").at(-1)).toMatch(/^Error: /);
    expect((await me(token)).body.data?.me?.username).toBe("quitter");
    expect((await login("quitter", PASSWORD)).body.errors).toBeUndefined();
  });

  it("refuses a password too similar to the username after three tries", async () => {
    const { token } = await server.user("bartholomew");
    const res = await manage(["changepassword", "bartholomew"], { input: "bartholomew1\nbartholomew1\n".repeat(3) });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("The password is too similar to the username.");
    expect((await me(token)).body.data?.me?.username).toBe("bartholomew");
  });

  it("an unknown user: exit 1 and one line", async () => {
    expect(await manage(["changepassword", "ghost"], { input: "x\nx\n" })).toEqual({
      code: 1,
      stdout: "",
      stderr: "User ghost does not exist\n",
    });
  });
});

describe("createsuperuser", () => {
  it("--no-input takes the password from SUPERUSER_PASSWORD and prints a key", async () => {
    const res = await manage(["createsuperuser", "--no-input", "--username", "root1", "--email", "root1@example.com"], {
      env: { SUPERUSER_PASSWORD: "obsidian-Tower-61" },
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe("");
    const [created, keyLine] = res.stdout.split(/(?<=\n)/);
    expect(created).toBe("Superuser created successfully.\n");
    const key = KEY_LINE("root1").exec(keyLine!)![1]!;
    expect((await me(key)).body.data).toMatchObject({ me: { username: "root1", isStaff: true } });
    const user = await findRow(server.app.db, "User", { username: "root1" });
    expect(user).toMatchObject({ isStaff: true, isActive: true, email: "root1@example.com" });
    expect(user.password).toMatch(/^\$argon2id\$/);
  });

  it("reads username, email and password (twice) from piped input", async () => {
    const res = await manage(["createsuperuser"], {
      input: "root2\nroot2@example.com\nbasalt-River-72\nbasalt-River-72\n",
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Superuser created successfully\.\nGenerated token [0-9a-f]{40} for user root2\n$/);
    expect(res.stdout).not.toContain("basalt-River-72");
    expect(
      (await server.run(ObtainTokenDocument, { username: "root2", password: "basalt-River-72" })).body.data,
    ).toMatchObject({
      obtainToken: { user: { isStaff: true } },
    });
  });

  it("a bad email is refused at its prompt and asked again, before the passwords", async () => {
    const res = await manage(["createsuperuser"], {
      input: "root3\nnot-an-email\nroot3@example.com\nbasalt-River-72\nbasalt-River-72\n",
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe("Error: Enter a valid email address.\n");
    expect(res.stdout.match(/Email address: /g)).toHaveLength(2);
    expect(res.stdout).toMatch(/Superuser created successfully\.\nGenerated token [0-9a-f]{40} for user root3\n$/);
  });

  it("a weak SUPERUSER_PASSWORD: exit 1, one line, no user", async () => {
    const res = await manage(["createsuperuser", "--no-input", "--username", "weakling"], {
      env: { SUPERUSER_PASSWORD: "123" },
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr.split("\n")).toHaveLength(2); // one line and its newline
    expect(res.stderr).toContain("This password is too short.");
    expect(await countRows(server.app.db, "User", { username: "weakling" })).toBe(0);
  });

  it("refuses a taken username with one line", async () => {
    await server.user("occupied");
    const res = await manage(["createsuperuser", "--no-input", "--username", "occupied"], {
      env: { SUPERUSER_PASSWORD: "obsidian-Tower-61" },
    });
    expect(res).toMatchObject({ code: 1, stdout: "" });
    expect(res.stderr).toBe("Error: username: A user with that username already exists.\n");
  });

  it("--no-input without a password: exit 1, one line", async () => {
    const res = await manage(["createsuperuser", "--no-input", "--username", "nopass"], {
      env: { SUPERUSER_PASSWORD: "" },
    });
    expect(res).toMatchObject({ code: 1, stdout: "" });
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toContain("SUPERUSER_PASSWORD");
  });
});

describe("migrate and configuration", () => {
  it("migrate on a migrated database says there is nothing to apply", async () => {
    expect(await manage(["migrate"])).toEqual({ code: 0, stdout: "No migrations to apply.\n", stderr: "" });
  });

  it("migrate on a new database applies the migrations", async () => {
    const url =
      testDatabase() === "postgresql"
        ? await emptyPostgresUrl()
        : `${freshSqliteUrl().replace(/db\.sqlite3$/, "")}new/db.sqlite3`;
    expect(await manage(["migrate"], { env: { DATABASE_URL: url } })).toEqual({
      code: 0,
      stdout: "Migrations applied.\n",
      stderr: "",
    });
  });

  it.each([["create-token", "amit"], ["migrate"], ["revoke-tokens", "amit"]])(
    "a bad DATABASE_URL stops %s with one line naming it",
    async (...args) => {
      const res = await manage(args, { env: { DATABASE_URL: "mysql://root:secret@localhost/db" } });
      expect(res.code).toBe(1);
      expect(res.stdout).toBe("");
      expect(res.stderr.trim().split("\n")).toHaveLength(1);
      expect(res.stderr).toContain("DATABASE_URL");
      expect(res.stderr).not.toContain("secret");
    },
  );
});
