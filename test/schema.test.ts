import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { emittedSdl } from "../src/schema";
import { startServer } from "./support/server";

const ROOT = join(__dirname, "..");

describe("the emitted schema", () => {
  it("matches the committed schema.graphql (run `npm run schema` when this fails)", async () => {
    expect(readFileSync(join(ROOT, "schema.graphql"), "utf8")).toBe(await emittedSdl());
  });

  it("keeps the public contract", () => {
    const out = execFileSync(
      process.execPath,
      [join(ROOT, "..", "shared", "tools", "check-contract.mjs"), "schema.graphql"],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    expect(out).toContain("contract: kept");
  });

  it("is served at GET /schema.graphql", async () => {
    const server = await startServer();
    try {
      const res = await fetch(`${server.url}/schema.graphql`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await res.text()).toBe(await emittedSdl());
    } finally {
      await server.close();
    }
  });

  it("derives the PostgreSQL Prisma schema from the SQLite one (no drift)", () => {
    execFileSync(process.execPath, [join(ROOT, "scripts", "prisma-schemas.mjs"), "--check"], { cwd: ROOT });
  });
});
