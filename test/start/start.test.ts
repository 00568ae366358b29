import "reflect-metadata";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config/config";
import { databaseFromUrl, describeDatabase } from "../../src/db/database-url";
import { freshDatabaseUrl } from "../support/databases";

// `npm start` (node dist/main.js, built by npm test) tells where it listens,
// which database it uses and how to get a first key.

const MAIN = join(__dirname, "..", "..", "dist", "main.js");

/** Starts the server on a free port, returns its first three stdout lines, stops it. */
function startupLines(databaseUrl: string): Promise<string[]> {
  if (!existsSync(MAIN)) throw new Error("dist/main.js is missing: run `npm run build` (npm test does)");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl, PORT: "0", LOG_LEVEL: "silent" },
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.split("\n").length > 3) child.kill("SIGTERM");
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      const lines = out.split("\n").filter(Boolean);
      if (lines.length < 3)
        reject(new Error(`npm start printed ${JSON.stringify(out)}; stderr ${JSON.stringify(err)}`));
      else resolve(lines);
    });
  });
}

describe("npm start", () => {
  it("on an empty database: the address, the playground, the database and how to make the first user", async () => {
    const url = await freshDatabaseUrl();
    const [serving, database, hint] = await startupLines(url);
    expect(serving).toMatch(
      /^Serving GraphQL at http:\/\/127\.0\.0\.1:\d+\/graphql \(playground: http:\/\/127\.0\.0\.1:\d+\/playground\)$/,
    );
    expect(database).toBe(`Database: ${describeDatabase(databaseFromUrl(url))}`);
    expect(hint).toBe("No users yet: create the first with `npm run manage -- createsuperuser` (it prints a key).");
  });

  it("with users: the httpie command that obtains a key", async () => {
    const url = await freshDatabaseUrl();
    const app = createApp(loadConfig({ DATABASE_URL: url, LOG_LEVEL: "silent" }));
    try {
      await app.services.accounts.createUser(
        { username: "amit", email: "amit@example.com", password: "P@ssrord123", isStaff: false },
        { allowStaff: false, tokenName: "test" },
      );
    } finally {
      await app.close();
    }
    const [serving, , hint] = await startupLines(url);
    const address = /at (http:\/\/\S+)\/graphql/.exec(serving!)![1];
    expect(hint).toBe(
      `Get a key: http POST ${address}/graphql query='mutation { obtainToken(username: "...", password: "...") { token } }'`,
    );
  });
});
