import { WhoAmIDocument } from "../generated/graphql";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBuilt, runNode } from "../support/build";
import { freshSqliteUrl, testRoot } from "../support/databases";
import { loadConfig } from "../../src/config/config";
import { startServer, type TestServer } from "../support/server";

// A setting that parses but cannot be used (a port taken, a host that does
// not resolve, a file that is not a database) still stops `node dist/main.js`
// with one line naming the variable, exit status 1.

let busy: TestServer;
beforeAll(async () => {
  await ensureBuilt();
  busy = await startServer();
}, 120_000);
afterAll(() => busy.close());

async function start(env: Record<string, string>) {
  const res = await runNode("dist/main.js", [], { env: { DATABASE_URL: freshSqliteUrl(), PORT: "0", ...env } });
  return { ...res, lines: res.stderr.split("\n").filter(Boolean) };
}

it("PORT already in use", async () => {
  const port = new URL(busy.url).port;
  const res = await start({ PORT: port });
  expect(res.code).toBe(1);
  expect(res.lines).toEqual([`Cannot start: PORT: ${port} is already in use on 127.0.0.1`]);
  // The server holding the port is untouched.
  expect((await busy.run(WhoAmIDocument)).body).toEqual({ data: { me: null } });
});

it("HOST that does not resolve", async () => {
  const res = await start({ HOST: "no-such-host.invalid" });
  expect(res.code).toBe(1);
  expect(res.lines).toEqual(['Cannot start: HOST: "no-such-host.invalid" does not resolve to an address']);
});

it("DATABASE_URL naming a file that is not a database", async () => {
  const file = join(testRoot(), `not-a-database-${process.pid}.txt`);
  writeFileSync(file, "just some text, not SQLite\n".repeat(100));
  const res = await start({ DATABASE_URL: `file:${file}` });
  expect(res.code).toBe(1);
  expect(res.lines).toHaveLength(1);
  expect(res.lines[0]).toMatch(new RegExp(`^Cannot start: DATABASE_URL: SQLite at ${file.replace(/[.]/g, "\\.")}: `));
});

it("a blank HOST means the default, as a blank value does for every other variable", () => {
  expect(loadConfig({ HOST: "  " }).HOST).toBe("127.0.0.1");
  expect(loadConfig({ HOST: " 0.0.0.0 " }).HOST).toBe("0.0.0.0");
});
