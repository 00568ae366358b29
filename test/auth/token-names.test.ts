import { countRows, findRows } from "../support/rows";
import { CreateTokenDocument, ObtainTokenDocument } from "../generated/graphql";
import { ensureBuilt, runNode } from "../support/build";
import { expectError } from "../support/expect";
import { auth, startServer, type TestServer } from "../support/server";

// A key's name follows one rule however the key is issued: obtainToken,
// createToken (staff) and `manage create-token` (at most 100 characters).

let server: TestServer;
let admin: string;
let amitId: number;
let amitPassword: string;
const TOO_LONG = { code: "BAD_USER_INPUT", fields: { name: ["Ensure this field has no more than 100 characters."] } };

beforeAll(async () => {
  await ensureBuilt();
  server = await startServer();
  ({ token: admin } = await server.user("root", { staff: true }));
  ({ id: amitId, password: amitPassword } = await server.user("amit"));
}, 120_000);
afterAll(() => server.close());

const tokenCount = () => countRows(server.app.db, "Token", { userId: amitId });

it("createToken refuses a name over 100 characters and issues nothing", async () => {
  const before = await tokenCount();
  expectError(
    await server.run(CreateTokenDocument, { userId: String(amitId), name: "n".repeat(101) }, auth(admin)),
    TOO_LONG,
  );
  expect(await tokenCount()).toBe(before);
});

it("createToken takes 100 characters (counted as characters, after trimming) and a blank name means admin", async () => {
  const name = "é".repeat(100);
  const res = await server.run(CreateTokenDocument, { userId: String(amitId), name: `  ${name}  ` }, auth(admin));
  expect(res.body.errors).toBeUndefined();
  const blank = await server.run(CreateTokenDocument, { userId: String(amitId), name: "   " }, auth(admin));
  expect(blank.body.errors).toBeUndefined();
  const names = (
    await findRows(server.app.db, "Token", { userId: amitId }, { by: "id", direction: "desc", limit: 2 })
  ).map((t) => t.name);
  expect(names).toEqual(["admin", name]);
});

it("obtainToken applies the same rule, before counting a login attempt", async () => {
  const before = await tokenCount();
  expectError(
    await server.run(ObtainTokenDocument, { username: "amit", password: amitPassword, name: "n".repeat(1000) }),
    TOO_LONG,
  );
  expect(await tokenCount()).toBe(before);
  const ok = await server.run(ObtainTokenDocument, { username: "amit", password: amitPassword, name: "laptop" });
  expect(ok.body.errors).toBeUndefined();
});

it("manage create-token --name refuses the same names, exit 1, nothing issued", async () => {
  const env = { DATABASE_URL: server.app.config.DATABASE_URL.url };
  const before = await tokenCount();
  const res = await runNode("dist/manage/manage.js", ["create-token", "amit", "--name", "n".repeat(101)], { env });
  expect(res).toEqual({
    code: 1,
    stdout: "",
    stderr: "Error: name: Ensure this field has no more than 100 characters.\n",
  });
  expect(await tokenCount()).toBe(before);
  const ok = await runNode("dist/manage/manage.js", ["create-token", "amit", "--name", "n".repeat(100)], { env });
  expect(ok.code).toBe(0);
  expect(await tokenCount()).toBe(before + 1);
});
