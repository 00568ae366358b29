import { execute, findRows } from "../support/rows";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import {
  ChangePasswordDocument,
  CreateTokenDocument,
  CreateUserDocument,
  ObtainTokenDocument,
  PatchUserDocument,
  RegisterDocument,
} from "../generated/graphql";
import { auth, startServer, type GraphQLResponse, type TestServer } from "../support/server";
import { describeSqlite } from "../support/providers";

// The database file itself, byte by byte: keys and passwords set through the
// API must not be in it, in the main file or in its write-ahead log.

let server: TestServer;
const keys: string[] = [];
const passwords = [
  "Initial-Secret-Alpha-1",
  "Second-Secret-Bravo-2",
  "Third-Secret-Charlie-3",
  "Fourth-Secret-Delta-4",
  "Fifth-Secret-Echo-5",
];

function files(): Buffer[] {
  const file = server.app.config.DATABASE_URL.provider === "sqlite" ? server.app.config.DATABASE_URL.file : "";
  return [file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f));
}

function expectAbsent(bytes: Buffer[], secret: string) {
  for (const b of bytes) {
    expect(b.includes(Buffer.from(secret, "utf8"))).toBe(false);
    expect(b.includes(Buffer.from(secret, "utf16le"))).toBe(false);
  }
}

beforeAll(async () => {
  server = await startServer();
  const ok = <T>(res: GraphQLResponse<T>): T => {
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  // Every way a key or a password reaches the database.
  const reg = ok(
    await server.run(RegisterDocument, {
      input: { username: "saver", email: "saver@example.com", password: passwords[0]! },
    }),
  );
  keys.push(reg.register.token);
  const login = ok(await server.run(ObtainTokenDocument, { username: "saver", password: passwords[0]! }));
  keys.push(login.obtainToken.token);
  const changed = ok(
    await server.run(
      ChangePasswordDocument,
      { oldPassword: passwords[0]!, newPassword: passwords[1]! },
      auth(login.obtainToken.token),
    ),
  );
  keys.push(changed.changePassword.token);
  const { token: admin } = await server.user("storage-admin", { staff: true, password: passwords[2] });
  keys.push(admin);
  const created = ok(
    await server.run(
      CreateUserDocument,
      { input: { username: "made", email: "", password: passwords[3]! } },
      auth(admin),
    ),
  );
  keys.push(created.createUser.token);
  ok(
    await server.run(
      PatchUserDocument,
      { id: created.createUser.user.id, input: { password: passwords[4]! } },
      auth(admin),
    ),
  );
  const issued = ok(
    await server.run(CreateTokenDocument, { userId: reg.register.user.id, name: "extra" }, auth(admin)),
  );
  keys.push(issued.createToken.token);
});
afterAll(() => server.close());

// It reads the SQLite files themselves: SQLite runs only.
describeSqlite("the SQLite file", () => {
  it("holds no key and no password in plaintext, WAL included", async () => {
    const bytes = files();
    expect(bytes.length).toBeGreaterThanOrEqual(1);
    // The scan can see what is there: the usernames are.
    expect(bytes.some((b) => b.includes(Buffer.from("storage-admin")))).toBe(true);
    for (const key of keys) {
      expectAbsent(bytes, key);
      expectAbsent(bytes, key.slice(8)); // the part after the stored prefix
    }
    for (const password of passwords) expectAbsent(bytes, password);
  });

  it("keeps 64-hex SHA-256 digests and 8-character prefixes in Token rows", async () => {
    const rows = await findRows(server.app.db, "Token");
    const live = keys.filter((k) => rows.some((r) => r.prefix === k.slice(0, 8)));
    expect(live).toEqual([keys[2], keys[3], keys[5]]); // changePassword and patchUser revoked the others
    for (const row of rows) {
      expect(row.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(row.prefix).toMatch(/^[0-9a-f]{8}$/);
    }
    for (const key of live) {
      const row = rows.find((r) => r.prefix === key.slice(0, 8))!;
      expect(row.digest).toBe(createHash("sha256").update(key).digest("hex"));
    }
  });

  it("keeps passwords as argon2id hashes", async () => {
    const users = await findRows(server.app.db, "User");
    for (const u of users) expect(u.password).toMatch(/^\$argon2id\$v=19\$m=12288,t=3,p=1\$/);
  });

  it("still holds neither after the WAL is checkpointed into the main file", async () => {
    await execute(server.app.db, "PRAGMA wal_checkpoint(TRUNCATE)");
    const bytes = files();
    for (const secret of [...keys, ...passwords]) expectAbsent(bytes, secret);
  });
});
