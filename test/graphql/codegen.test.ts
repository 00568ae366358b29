import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

// The typed documents the tests send are generated from schema.graphql and
// the .graphql operations; a change to either must be followed by
// `npm run codegen`, or this fails.

const ROOT = join(__dirname, "..", "..");

// @graphql-codegen/cli loads ESM-only packages that Jest's module loader
// cannot require, so its generate() API runs in a plain Node process and
// hands back what it would write, without writing it.
const GENERATE = `
const { generate, loadCodegenConfig } = require("@graphql-codegen/cli");
(async () => {
  const { config } = await loadCodegenConfig({ configFilePath: "codegen.yml" });
  const outputs = await generate({ ...config, cwd: process.cwd(), silent: true }, false);
  process.stdout.write(JSON.stringify(outputs.map(({ filename, content }) => ({ filename, content }))));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe("GraphQL Code Generator output", () => {
  it("test/generated/graphql.ts and admin/src/generated/graphql.ts are up to date (run `npm run codegen` when this fails)", () => {
    const outputs = JSON.parse(execFileSync(process.execPath, ["-e", GENERATE], { cwd: ROOT, encoding: "utf8" })) as {
      filename: string;
      content: string;
    }[];
    // The targets are generated concurrently: their order varies.
    expect(outputs.map((o) => o.filename).sort()).toEqual([
      "admin/src/generated/graphql.ts",
      "test/generated/graphql.ts",
    ]);
    for (const { filename, content } of outputs) {
      expect(readFileSync(join(ROOT, filename), "utf8")).toBe(content);
    }
  });
});
